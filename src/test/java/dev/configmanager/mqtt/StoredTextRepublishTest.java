package dev.configmanager.mqtt;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stored version always reaches {@code config/updated}: one stored by an older release, whose updated-by and request
 * id still hold characters HiveMQ refuses in a user property (or that paho's subscribers die on), is published at
 * start with those characters escaped, not refused for good.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StoredTextRepublishTest {

    @RegisterExtension
    static final BrokerExtension fixture = BrokerExtension.manual();

    @Test
    void aVersionStoredWithTextClientsRefuseStillReachesItsTopic() throws Exception {
        final TestBroker broker = fixture.start(TestBroker::start);
        try (Requester r = new Requester(broker.port(), "ops")) {
            assertTrue(r.send("set", "svc-legacy", "{\"config\": {\"a\": 1}}").accepted());
        }
        Thread.sleep(1_500); // past a checkpoint: the rows are in H2 itself, not only in the journal
        try (Connection db = broker.openDatabase()) {
            for (final String table : new String[] {"cm_current", "cm_history"}) {
                try (PreparedStatement s = db.prepareStatement(
                        "UPDATE " + table + " SET updated_by = ?, request_id = ? WHERE service = 'svc-legacy'")) {
                    s.setString(1, "mqtt:old\uFFFFclient");
                    s.setString(2, "id\uFEFF\u0001");
                    assertEquals(1, s.executeUpdate());
                }
            }
        }
        broker.stop();
        broker.startFresh(); // an empty retained store: the start-up repair must publish the version

        final Mqtt5Publish updated = RetainedReader.receive(broker.port(), "config/updated/svc-legacy");
        assertEquals(
                1, Requester.parse(updated.getPayloadAsBytes()).get("version").asLong());
        for (final var p : updated.getUserProperties().asList()) {
            assertTrue(
                    p.getValue().toString().codePoints().allMatch(cp -> cp >= 0x20 && cp < 0x7F),
                    p.getName() + " = " + p.getValue());
        }
    }
}
