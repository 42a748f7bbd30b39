package dev.configmanager.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import dev.configmanager.wire.CanonicalJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A database written by a release whose canonical form was Python's {@code json.dumps} ({@code 1e-05}) opens with its
 * texts and checksums in orjson's form ({@code 0.00001}), the form a py-tars service checks, and the retained topics
 * that carried the old checksum are published again; the others are left alone.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CanonicalFormUpgradeTest {

    private static final String OLD_TEXT = "{\"vad_threshold\":1e-05}";
    private static final String NEW_TEXT = "{\"vad_threshold\":0.00001}";

    @RegisterExtension
    static final BrokerExtension fixture = BrokerExtension.manual();

    @Test
    void checksumsOfTheOldCanonicalFormAreRecomputedAndTheirTopicsRepublished() throws Exception {
        final TestBroker broker = fixture.start(dir -> TestBroker.startPersistent(dir, ""));
        try (Requester r = new Requester(broker.port(), "ops")) {
            assertTrue(r.send("set", "stt-vad", "{\"config\": {\"vad_threshold\": 1e-05}}")
                    .accepted());
            assertTrue(r.send("set", "plain", "{\"config\": {\"a\": 1.5}}").accepted());
        }
        final JsonNode plainBefore = RetainedReader.receiveJson(broker.port(), "config/updated/plain");
        Thread.sleep(1_500); // past a checkpoint: the rows are in H2 itself, not only in the journal

        // what the earlier release left: its text and checksum in the rows, no form recorded, and on the topic
        final String oldChecksum = CanonicalJson.sha256Hex(OLD_TEXT);
        try (Connection db = broker.openDatabase()) {
            for (final String table : new String[] {"cm_current", "cm_history"}) {
                try (PreparedStatement s = db.prepareStatement(
                        "UPDATE " + table + " SET config = ?, checksum = ? WHERE service = 'stt-vad'")) {
                    s.setString(1, OLD_TEXT);
                    s.setString(2, oldChecksum);
                    assertEquals(1, s.executeUpdate());
                }
            }
            try (PreparedStatement s = db.prepareStatement("DELETE FROM cm_meta WHERE meta_key = 'canonical_form'")) {
                assertEquals(1, s.executeUpdate());
            }
        }
        final JsonNode published = RetainedReader.receiveJson(broker.port(), "config/updated/stt-vad");
        final String oldBody = published
                .toString()
                .replace(NEW_TEXT, OLD_TEXT)
                .replace(published.get("checksum").asText(), oldChecksum);
        Services.retainedMessageStore()
                .addOrReplace(Builders.retainedPublish()
                        .topic("config/updated/stt-vad")
                        .payload(ByteBuffer.wrap(oldBody.getBytes(StandardCharsets.UTF_8)))
                        .qos(com.hivemq.extension.sdk.api.packets.general.Qos.AT_LEAST_ONCE)
                        .build())
                .get(10, TimeUnit.SECONDS);
        assertEquals(
                oldChecksum,
                RetainedReader.receiveJson(broker.port(), "config/updated/stt-vad")
                        .get("checksum")
                        .asText());

        broker.restartOnSameHome();

        final String newChecksum = CanonicalJson.sha256Hex(NEW_TEXT);
        final JsonNode after = RetainedReader.receiveJson(broker.port(), "config/updated/stt-vad");
        assertEquals(newChecksum, after.get("checksum").asText(), after.toString());
        assertEquals(1, after.get("version").asLong(), "the same version, in the new form");
        assertEquals(NEW_TEXT, CanonicalJson.write(after.get("config")));
        assertFalse(after.toString().contains("1e-05"), after.toString());
        final JsonNode plainAfter = RetainedReader.receiveJson(broker.port(), "config/updated/plain");
        assertEquals(plainBefore.get("issued_at"), plainAfter.get("issued_at"), "unchanged: not published again");

        try (Connection db = broker.openDatabase()) {
            for (final String table : new String[] {"cm_current", "cm_history"}) {
                try (PreparedStatement s = db.prepareStatement(
                                "SELECT config, checksum FROM " + table + " WHERE service = 'stt-vad'");
                        ResultSet rs = s.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(NEW_TEXT, rs.getString(1), table);
                    assertEquals(newChecksum, rs.getString(2), table);
                }
            }
            try (PreparedStatement s =
                            db.prepareStatement("SELECT meta_value FROM cm_meta WHERE meta_key = 'canonical_form'");
                    ResultSet rs = s.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(Integer.toString(CanonicalJson.FORM), rs.getString(1));
            }
        }
    }
}
