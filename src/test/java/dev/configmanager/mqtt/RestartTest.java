package dev.configmanager.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The database is the truth: a broker that lost its retained store gets every config topic back at start. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RestartTest {

    @RegisterExtension
    static final BrokerExtension fixture = BrokerExtension.manual();

    @Test
    void freshBrokerHomeOnTheSameDatabaseRecoversEveryRetainedConfigAndTheHistory() throws Exception {
        final TestBroker broker = fixture.start(TestBroker::start);
        final Map<String, JsonNode> before = new HashMap<>();
        try (Requester r = new Requester(broker.port(), "ops")) {
            assertTrue(r.send("set", "router", "{\"config\": {\"router_stream_min_chars\": 10}}")
                    .accepted());
            assertTrue(r.send("patch", "router", "{\"patch\": {\"router_stream_max_chars\": 300}}")
                    .accepted());
            assertTrue(r.send("set", "svc-a", "{\"config\": {\"a\": [1, 2, {\"b\": null}]}}")
                    .accepted());
            assertTrue(r.send("set", "svc-gone", "{\"config\": {\"x\": 1}}").accepted());
            assertTrue(r.send("delete", "svc-gone", "{}").accepted());
        }
        for (final String service : new String[] {"router", "svc-a"}) {
            before.put(service, RetainedReader.receiveJson(broker.port(), "config/updated/" + service));
        }
        final long historyBefore = historyRows(broker);

        broker.stop();
        broker.startFresh(); // new conf/ and data/: the broker's retained store is empty

        for (final String service : before.keySet()) {
            final JsonNode after = RetainedReader.receiveJson(broker.port(), "config/updated/" + service);
            assertEquals(before.get(service).get("version"), after.get("version"), service);
            assertEquals(before.get(service).get("checksum"), after.get("checksum"), service);
            assertEquals(before.get(service).get("config_epoch"), after.get("config_epoch"), service);
            assertEquals(before.get(service).get("config"), after.get("config"), service);
        }
        assertTrue(RetainedReader.stored("config/updated/svc-gone").isEmpty(), "a deleted config stays deleted");
        assertEquals(historyBefore, historyRows(broker));
        assertEquals(5, historyBefore);

        try (Requester r = new Requester(broker.port(), "ops")) {
            final Requester.Reply next = r.send("set", "svc-gone", "{\"config\": {\"x\": 2}}");
            assertEquals(3, next.version(), "versions continue after a restart");
        }
    }

    private static long historyRows(final TestBroker broker) throws Exception {
        try (Connection db = broker.openDatabase();
                ResultSet rs = db.createStatement().executeQuery("SELECT COUNT(*) FROM cm_history")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
