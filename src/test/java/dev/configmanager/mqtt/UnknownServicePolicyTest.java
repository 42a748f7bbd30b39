package dev.configmanager.mqtt;

import dev.configmanager.support.Requester;
import dev.configmanager.support.Requester.Reply;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With {@code unknown-service-policy} reject, only services that have a schema can be written. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class UnknownServicePolicyTest {

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = TestBroker.start(dir, "<schemas><unknown-service-policy>reject</unknown-service-policy></schemas>");
    }

    @AfterAll
    static void stop() throws Exception {
        broker.close();
    }

    @Test
    void serviceWithoutSchemaIsRejectedAsUnknownAndAServiceWithOneIsAccepted() throws Exception {
        try (Requester r = new Requester(broker.port(), "ops")) {
            final Reply unknown = r.send("set", "no-schema-here", "{\"config\": {\"a\": 1}}");
            assertEquals("unknown_service", unknown.errorCode(), unknown.envelope().toString());
            assertTrue(r.send("set", "wake-activation", "{\"config\": {\"wake_detection_threshold\": 0.4}}")
                    .accepted());
        }
    }
}
