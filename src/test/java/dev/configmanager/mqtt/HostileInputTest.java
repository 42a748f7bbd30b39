package dev.configmanager.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.Requester.Reply;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hostile-input corpus ({@code src/test/resources/hostile/*.case}): every malformed request gets its expected
 * error code, the stored state is byte-for-byte what it was before, and the broker keeps serving.
 * <p>
 * A case file is a header ({@code topic:} after {@code config/}, {@code expect:} the error code, {@code encoding:}
 * text, base64, or repeat with {@code prefix/unit/count/suffix}) then {@code ---} and the payload. Optional headers:
 * {@code response-topic:} the MQTT 5 response topic to ask for (one the extension must refuse: the result is then
 * expected on {@code config/result/<service>}), and {@code client-id:} (repeated {@code client-id-count:} times) the
 * id of the client that sends it. {@code expect: accepted} is for hostile client ids on {@code corpus-accepted-*}
 * services: the write must be stored and reach {@code config/updated} with user properties every client decodes.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {

    private static final Path CORPUS = Path.of("src/test/resources/hostile");

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();
    static Requester requester;
    static String storedBefore;

    private static final String ACCEPTED_PREFIX = "corpus-accepted-";

    /** One corpus entry; {@code responseTopic} and {@code clientId} are {@code null} unless the case sets them. */
    record Case(String name, String topic, String expect, byte[] payload, String responseTopic, String clientId) {
        String service() {
            final int slash = topic.indexOf('/');
            return slash < 0 ? "" : topic.substring(slash + 1);
        }
    }

    @BeforeAll
    static void seed() throws Exception {
        requester = new Requester(broker.port(), "hostile-client");
        for (final String[] seed : new String[][]{{"svc-hostile", "{\"a\":1}"}, {"tts-worker", "{\"volume_percent\":50}"},
                {"router", "{\"router_stream_min_chars\":30}"}}) {
            assertTrue(requester.send("set", seed[0], "{\"config\":" + seed[1] + "}").accepted(), seed[0]);
        }
        storedBefore = storedState();
    }

    @AfterAll
    static void close() {
        requester.close();
    }

    @Test
    @Order(1)
    void corpusHasAtLeastAHundredDistinctCases() throws IOException {
        assertTrue(cases().size() >= 100, "corpus size " + cases().size());
        assertEquals(cases().size(), cases().stream().map(c -> c.topic() + new String(c.payload(),
                StandardCharsets.ISO_8859_1) + c.responseTopic() + c.clientId()).distinct().count(),
                "every case is distinct");
    }

    @TestFactory
    @Order(2)
    Stream<DynamicTest> eachMalformedRequestIsRejectedWithItsCode() throws IOException {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            final Requester sender = c.clientId() == null ? requester : new Requester(broker.port(), c.clientId());
            try {
                final Reply reply = sender.send(c.topic(), c.payload(),
                        c.responseTopic() == null ? sender.replyTopic() : c.responseTopic());
                if (c.expect().equals("accepted")) {
                    assertTrue(reply.accepted(), reply.envelope().toString());
                    assertReachesItsTopic(c.service(), reply.version());
                } else {
                    assertEquals("config.rejected", reply.type(), reply.envelope().toString());
                    assertEquals(c.expect(), reply.errorCode(), reply.envelope().toString());
                }
                assertEquals(c.responseTopic() == null ? sender.replyTopic() : "config/result/" + c.service(),
                        reply.topic(), "a response topic the extension owns is refused, never published to");
            } finally {
                if (sender != requester) {
                    sender.close();
                }
            }
        }));
    }

    /** The version is on {@code config/updated/<service>}, with user properties free of what clients refuse. */
    private static void assertReachesItsTopic(final String service, final long version) throws Exception {
        final var updated = RetainedReader.receive(broker.port(), "config/updated/" + service);
        assertEquals(version, Requester.parse(updated.getPayloadAsBytes()).get("version").asLong());
        for (final var property : updated.getUserProperties().asList()) {
            final String value = property.getValue().toString();
            assertTrue(value.codePoints().allMatch(cp -> cp >= 0x20 && cp < 0x7F), "user property "
                    + property.getName() + " = " + value.codePoints().mapToObj(Integer::toHexString).toList());
            assertTrue(value.length() <= 300, property.getName() + " is " + value.length() + " characters");
        }
    }

    @Test
    @Order(3)
    void storedStateIsByteForByteUnchanged() throws Exception {
        assertEquals(storedBefore, storedState());
        assertEquals(50, RetainedReader.receiveJson(broker.port(), "config/updated/tts-worker").get("config")
                .get("volume_percent").asInt());
    }

    @Test
    @Order(4)
    void brokerKeepsServingAfterTheCorpus() throws Exception {
        assertTrue(requester.client().getState().isConnected(), "the hostile client was not even disconnected");
        try (var publishes = requester.client().publishes(MqttGlobalPublishFilter.ALL)) {
            requester.client().subscribeWith().topicFilter("plain/after").qos(MqttQos.AT_LEAST_ONCE).send();
            requester.client().publishWith().topic("plain/after").qos(MqttQos.AT_LEAST_ONCE)
                    .payload("still here".getBytes(StandardCharsets.UTF_8)).send();
            assertEquals("still here", new String(publishes.receive(10, TimeUnit.SECONDS).orElseThrow()
                    .getPayloadAsBytes(), StandardCharsets.UTF_8));
        }
        final Reply valid = requester.send("set", "svc-hostile", "{\"config\":{\"a\":2},\"expected_version\":1}");
        assertTrue(valid.accepted(), valid.envelope().toString());
    }

    /** Every stored version and current config, as text: any change to the stored state changes it. */
    private static String storedState() throws Exception {
        final var sb = new StringBuilder();
        try (Connection db = broker.openDatabase()) {
            for (final String table : List.of("cm_current", "cm_history")) {
                try (ResultSet rs = db.createStatement().executeQuery("SELECT * FROM " + table
                        + " WHERE service NOT LIKE '" + ACCEPTED_PREFIX + "%' ORDER BY service, version")) {
                    final int columns = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        sb.append(table);
                        for (int i = 1; i <= columns; i++) {
                            sb.append('|').append(rs.getString(i));
                        }
                        sb.append('\n');
                    }
                }
            }
        }
        return sb.toString();
    }

    static List<Case> cases() throws IOException {
        try (Stream<Path> files = Files.list(CORPUS)) {
            return files.filter(p -> p.toString().endsWith(".case")).sorted().map(HostileInputTest::read).toList();
        }
    }

    private static Case read(final Path file) {
        try {
            final String text = Files.readString(file, StandardCharsets.UTF_8);
            final int split = text.indexOf("\n---\n");
            final String body = text.substring(split + 5);
            final var header = new java.util.HashMap<String, String>();
            for (final String line : text.substring(0, split).split("\n")) {
                final int colon = line.indexOf(": ");
                header.put(line.substring(0, colon), line.substring(colon + 2));
            }
            final byte[] payload = switch (header.get("encoding")) {
                case "text" -> body.getBytes(StandardCharsets.UTF_8);
                case "base64" -> Base64.getDecoder().decode(body.trim());
                case "repeat" -> (unescape(header.get("prefix"))
                        + unescape(header.get("unit")).repeat(Integer.parseInt(header.get("count")))
                        + unescape(header.get("suffix"))).getBytes(StandardCharsets.UTF_8);
                default -> throw new IllegalArgumentException("unknown encoding in " + file);
            };
            final String name = file.getFileName().toString().replace(".case", "");
            final String clientId = header.containsKey("client-id") ? unescape(header.get("client-id"))
                    .repeat(Integer.parseInt(header.getOrDefault("client-id-count", "1"))) : null;
            return new Case(name, header.get("topic"), header.get("expect"), payload, header.get("response-topic"),
                    clientId);
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The few escapes the corpus headers use: {@code \xHH}, backslash-u with four hex digits, {@code \t},
     * {@code \n}, {@code \\}.
     */
    private static String unescape(final String s) {
        final var sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) {
                sb.append(c);
                continue;
            }
            final char n = s.charAt(++i);
            switch (n) {
                case 'x' -> {
                    sb.append((char) Integer.parseInt(s.substring(i + 1, i + 3), 16));
                    i += 2;
                }
                case 'u' -> {
                    sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                case 't' -> sb.append('\t');
                case 'n' -> sb.append('\n');
                default -> sb.append(n);
            }
        }
        return sb.toString();
    }
}
