package dev.configmanager.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.Requester.Reply;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.sql.Connection;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A database that fails under the extension: requests are refused, the broker and the extension carry on. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StoreFailureTest {

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    @Test
    void requestFailingInsideTheStoreIsRejectedAndTheBrokerKeepsServing() throws Exception {
        try (Requester r = new Requester(broker.port(), "ops")) {
            assertTrue(r.send("set", "svc-store", "{\"config\": {\"a\": 1}}").accepted());

            try (Connection db = broker.openDatabase()) {
                db.createStatement().execute("SHUTDOWN"); // closes the database under the extension
            }
            final Reply failed = r.send("set", "svc-store", "{\"config\": {\"a\": 2}}");
            assertEquals(
                    "store_unavailable", failed.errorCode(), failed.envelope().toString());
            assertEquals(Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR, failed.puback());
            assertEquals(
                    1,
                    RetainedReader.receiveJson(broker.port(), "config/updated/svc-store")
                            .get("version")
                            .asLong(),
                    "the retained config is untouched");

            // Ordinary traffic still flows and the extension was not switched off.
            assertEquals(Optional.of("hello"), r.echo("plain/topic", "hello"));
            assertFalse(Files.exists(TestBroker.disabledMarker()), "no DISABLED marker");
            final JsonNode down = RetainedReader.await(
                    "system/health/config-manager",
                    h -> !h.path("data").path("ok").asBoolean());
            assertFalse(down.get("data").get("ok").asBoolean(), down.toString());
            assertEquals("store_unavailable", down.get("data").get("event").asText());
            assertFalse(down.get("data").get("err").asText().isBlank());

            // The store reopens the database on a later request: writes work again without a restart.
            Reply recovered = failed;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!recovered.accepted() && System.nanoTime() < deadline) {
                Thread.sleep(500);
                recovered = r.send("set", "svc-store", "{\"config\": {\"a\": 2}, \"expected_version\": 1}");
            }
            assertTrue(recovered.accepted(), recovered.envelope().toString());
            assertEquals(2, recovered.version(), "the failed request left no trace in the version sequence");
            final JsonNode up = RetainedReader.await(
                    "system/health/config-manager",
                    h -> h.path("data").path("ok").asBoolean());
            assertEquals("store_available", up.get("data").get("event").asText());
        }
    }
}
