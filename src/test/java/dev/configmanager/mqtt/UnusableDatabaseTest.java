package dev.configmanager.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.Requester.Reply;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A database that cannot be opened at start (here: its file overwritten with garbage) leaves the broker running with
 * the extension in read-only mode: retained config still served, writes refused, its own health not ok.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class UnusableDatabaseTest {

    @RegisterExtension
    static final BrokerExtension fixture = BrokerExtension.manual();

    @Test
    void corruptedDatabaseAtStartMeansReadOnlyNotADisabledExtension() throws Exception {
        final TestBroker broker = fixture.start(dir -> TestBroker.startPersistent(dir, ""));
        try (Requester r = new Requester(broker.port(), "ops")) {
            assertTrue(r.send("set", "router", "{\"config\": {\"router_stream_min_chars\": 12}}")
                    .accepted());
        }
        broker.stop();
        final Path file = Path.of(broker.database + ".mv.db");
        final byte[] garbage = new byte[(int) Files.size(file)];
        new Random(7).nextBytes(garbage);
        Files.write(file, garbage);

        broker.restartOnSameHome();

        assertFalse(Files.exists(TestBroker.disabledMarker()), "the extension is not disabled");
        final JsonNode config = RetainedReader.receiveJson(broker.port(), "config/updated/router");
        assertEquals(12, config.get("config").get("router_stream_min_chars").asInt(), "retained config is served");
        try (Requester r = new Requester(broker.port(), "ops")) {
            final Reply write = r.send("set", "router", "{\"config\": {\"router_stream_min_chars\": 13}}");
            assertEquals(
                    "store_unavailable", write.errorCode(), write.envelope().toString());
        }
        final JsonNode health = RetainedReader.await(
                "system/health/config-manager", h -> !h.path("data").path("ok").asBoolean());
        assertEquals("store_unavailable", health.get("data").get("event").asText());
        assertTrue(health.get("data").get("err").asText().contains("config database"), health.toString());
        assertEquals(
                12,
                RetainedReader.receiveJson(broker.port(), "config/updated/router")
                        .get("config")
                        .get("router_stream_min_chars")
                        .asInt(),
                "nothing changed");
    }
}
