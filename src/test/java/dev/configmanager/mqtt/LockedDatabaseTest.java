package dev.configmanager.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.support.ChildBroker;
import dev.configmanager.support.Requester;
import dev.configmanager.support.Requester.Reply;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A database held by another process at start: the broker runs, the extension refuses writes and says why. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LockedDatabaseTest {

    @TempDir
    static Path dir;

    @Test
    void databaseLockedByAnotherProcessMeansReadOnly() throws Exception {
        final Path home = dir.resolve("holder");
        try (ChildBroker holder = ChildBroker.start(home, TestBroker.freePort());
                TestBroker broker = TestBroker.startOnDatabase(
                        dir.resolve("second"), home.resolve("data/config-manager/config-manager"))) {
            assertFalse(Files.exists(TestBroker.disabledMarker()));
            final JsonNode health = RetainedReader.await(
                    "system/health/config-manager",
                    h -> !h.path("data").path("ok").asBoolean());
            assertEquals("store_unavailable", health.get("data").get("event").asText());
            assertTrue(health.get("data").get("err").asText().contains("in use"), health.toString());
            try (Requester r = new Requester(broker.port(), "ops")) {
                final Reply write = r.send("set", "router", "{\"config\": {}}");
                assertEquals(
                        "store_unavailable", write.errorCode(), write.envelope().toString());
            }
            try (Requester r = new Requester(holder.port(), "ops")) {
                assertTrue(r.send("set", "router", "{\"config\": {}}").accepted(), "the holder is unaffected");
            }
        }
    }
}
