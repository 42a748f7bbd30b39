package dev.configmanager.security;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Secret fields (writeOnly in the schema; tts-worker's eleven_api_key) are encrypted at rest: not in the H2 file, its
 * tables or the log in clear, while the subscriber the access rules allow receives them and others cannot subscribe.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SecretsTest {

    private static final String SECRET = "sk-SECRET-4f9d2a7c";
    private static final String MARKER = "VOICE-MARKER-7731";

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withSettings(AccessRulesTest.SECURE_PROFILE);

    static final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeAll
    static void writeSecrets() throws Exception {
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
        // The most the extension ever says about requests, so the check below has something to look at.
        ((Logger) LoggerFactory.getLogger("dev.configmanager")).setLevel(ch.qos.logback.classic.Level.DEBUG);
        try (Requester admin = new Requester(broker.port(), "ops-console", "admin")) {
            assertTrue(admin.send(
                            "set",
                            "tts-worker",
                            "{\"config\": {\"eleven_api_key\": \"" + SECRET + "\", \"piper_voice\": \"" + MARKER
                                    + "\"}}")
                    .accepted());
            assertTrue(admin.send("patch", "tts-worker", "{\"patch\": {\"volume_percent\": 80}}")
                    .accepted());
            assertTrue(
                    admin.send("rollback", "tts-worker", "{\"to_version\": 1}").accepted());
            // a schema violation echoes nothing of the secret either
            admin.send(
                    "set",
                    "tts-worker",
                    "{\"config\": {\"eleven_api_key\": \"" + SECRET + "\", \"volume_percent\": 999}}");
        }
    }

    @AfterAll
    static void detach() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    }

    @Test
    void authorizedSubscriberReceivesTheSecretInClearWithAMatchingChecksum() throws Exception {
        final var service = AccessRulesTest.client("tts-worker", "svc", broker.port());
        final JsonNode updated;
        try (var publishes = service.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
            service.subscribeWith()
                    .topicFilter("config/updated/tts-worker")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
            updated = Requester.parse(
                    publishes.receive(10, TimeUnit.SECONDS).orElseThrow().getPayloadAsBytes());
        } finally {
            service.disconnect();
        }
        assertEquals(3, updated.get("version").asLong(), "after set, patch and rollback");
        assertEquals(SECRET, updated.get("config").get("eleven_api_key").asText());
        final String canonical = "{\"eleven_api_key\":\"" + SECRET + "\",\"piper_voice\":\"" + MARKER + "\"}";
        assertEquals(
                HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256")
                                .digest(canonical.getBytes(StandardCharsets.UTF_8))),
                updated.get("checksum").asText());
    }

    @Test
    void unauthorizedSubscriptionIsRefused() {
        final var other = AccessRulesTest.client("router", "svc", broker.port());
        try {
            assertThrows(
                    Mqtt5SubAckException.class,
                    () -> other.subscribeWith()
                            .topicFilter("config/updated/tts-worker")
                            .qos(MqttQos.AT_LEAST_ONCE)
                            .send());
        } finally {
            other.disconnect();
        }
    }

    @Test
    void databaseTablesHoldTheSecretOnlySealed() throws Exception {
        try (Connection db = broker.openDatabase()) {
            int sealed = 0;
            for (final String table : new String[] {"cm_current", "cm_history", "cm_audit"}) {
                try (ResultSet rs = db.createStatement().executeQuery("SELECT * FROM " + table)) {
                    final int columns = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        for (int i = 1; i <= columns; i++) {
                            final String value = rs.getString(i);
                            if (value != null) {
                                assertFalse(value.contains(SECRET), table + " holds the secret in clear: " + value);
                                sealed += value.contains("\"$sealed\"") ? 1 : 0;
                            }
                        }
                    }
                }
            }
            assertEquals(4, sealed, "the current row and three versions hold the sealed secret");
        }
    }

    @Test
    void databaseFileBytesDoNotContainTheSecret() throws Exception {
        TestDatabase.assumeH2("about the H2 file's bytes; PostgreSQL's rows are checked above");
        final byte[] file = Files.readAllBytes(Path.of(broker.broker().database + ".mv.db"));
        assertTrue(contains(file, MARKER.getBytes(StandardCharsets.UTF_8)), "ordinary values are readable in the file");
        assertFalse(contains(file, SECRET.getBytes(StandardCharsets.UTF_8)), "the secret is not");
    }

    @Test
    void logNeverShowsTheSecret() {
        assertFalse(logs.list.isEmpty(), "the log was captured");
        for (final ILoggingEvent event : logs.list) {
            assertFalse(event.getFormattedMessage().contains(SECRET), event.getFormattedMessage());
        }
    }

    @Test
    void keyFileIsOwnerOnly() throws Exception {
        final Path key = broker.broker().dataFolder().resolve("config-manager/secret.key");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    }

    private static boolean contains(final byte[] haystack, final byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
