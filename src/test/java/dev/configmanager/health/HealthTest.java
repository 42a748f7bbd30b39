package dev.configmanager.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.extension.sdk.api.services.Services;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.RawMqttClient;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Health and keepalive produced by the broker for clients that have no health code of their own. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class HealthTest {

    private static final long INTERVAL_MS = 300;

    @RegisterExtension
    static final BrokerExtension broker =
            BrokerExtension.withSettings("<health><keepalive-interval>" + INTERVAL_MS + "ms</keepalive-interval>"
                    + "<tracked-clients><include>*</include><exclude>untracked-*</exclude></tracked-clients></health>");

    @Test
    void connectedClientHasRetainedOkHealthThatALateSubscriberSees() throws Exception {
        final Mqtt5BlockingClient client = broker.connect("svc-connect");
        try {
            final JsonNode health =
                    awaitHealth("svc-connect", h -> h.path("data").path("ok").asBoolean());
            assertEquals(Set.of("id", "type", "ts", "source", "data"), names(health));
            assertEquals("health.status", health.get("type").asText());
            assertEquals("config-manager", health.get("source").asText());
            assertTrue(health.get("id").asText().matches("[0-9a-f]{32}"));
            assertEquals(Set.of("message_id", "ok", "event", "timestamp"), names(health.get("data")));
            assertEquals("connected", health.get("data").get("event").asText());

            final Mqtt5Publish late = RetainedReader.receive(broker.port(), "system/health/svc-connect");
            assertTrue(late.isRetain());
            assertEquals(MqttQos.AT_LEAST_ONCE, late.getQos());
        } finally {
            client.disconnect();
        }
    }

    @Test
    void gracefulDisconnectIsDisconnected() throws Exception {
        broker.connect("svc-graceful").disconnect();
        final JsonNode health =
                awaitHealth("svc-graceful", h -> !h.path("data").path("ok").asBoolean());
        assertEquals("disconnected", health.get("data").get("event").asText());
        assertFalse(health.get("data").has("err"));
    }

    @Test
    void connectionThatDiesWithoutDisconnectIsConnectionLostWithAReason() throws Exception {
        RawMqttClient.connect(broker.port(), "svc-vanished", 60).close();
        final JsonNode lost =
                awaitHealth("svc-vanished", h -> !h.path("data").path("ok").asBoolean());
        assertEquals("connection_lost", lost.get("data").get("event").asText());
        assertFalse(lost.get("data").get("err").asText().isBlank());

        try (RawMqttClient silent = RawMqttClient.connect(broker.port(), "svc-silent", 1)) {
            // sends nothing: the broker gives up after 1.5 keepalive periods
            final JsonNode expired =
                    awaitHealth("svc-silent", h -> !h.path("data").path("ok").asBoolean());
            assertEquals("connection_lost", expired.get("data").get("event").asText());
            assertFalse(expired.get("data").get("err").asText().isBlank());
        }
    }

    @Test
    void takeoverByANewConnectionWithTheSameIdEndsOk() throws Exception {
        final var metrics = Services.metricRegistry();
        final long handledBefore =
                metrics.counter("dev.configmanager.health.events.stale").getCount()
                        + metrics.counter("dev.configmanager.health.events.connection_lost")
                                .getCount();
        final Mqtt5BlockingClient first = broker.connect("svc-takeover");
        awaitHealth("svc-takeover", h -> h.path("data").path("ok").asBoolean());
        final Mqtt5BlockingClient second = broker.connect("svc-takeover");
        try {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (metrics.counter("dev.configmanager.health.events.stale").getCount()
                            + metrics.counter("dev.configmanager.health.events.connection_lost")
                                    .getCount()
                    == handledBefore) {
                assertTrue(System.nanoTime() < deadline, "the old connection's disconnect was never handled");
                Thread.sleep(20);
            }
            Thread.sleep(INTERVAL_MS); // let any publish already started for the old connection land
            final JsonNode health = awaitHealth("svc-takeover", h -> true);
            assertTrue(health.get("data").get("ok").asBoolean(), health.toString());
            assertEquals("connected", health.get("data").get("event").asText());
            assertFalse(first.getState().isConnected());
        } finally {
            second.disconnect();
        }
        assertEquals(
                "disconnected",
                awaitHealth("svc-takeover", h -> !h.path("data").path("ok").asBoolean())
                        .get("data")
                        .get("event")
                        .asText());
    }

    @Test
    void keepalivesArriveAtTheIntervalAndStopWhenTheClientGoes() throws Exception {
        final Mqtt5BlockingClient watcher = broker.connect("watcher");
        try (var publishes = watcher.publishes(MqttGlobalPublishFilter.ALL)) {
            watcher.subscribeWith()
                    .topicFilter("system/keepalive/svc-beat")
                    .qos(MqttQos.AT_MOST_ONCE)
                    .send();
            final Mqtt5BlockingClient client = broker.connect("svc-beat");
            final List<Long> arrivals = new ArrayList<>();
            JsonNode sample = null;
            while (arrivals.size() < 8) {
                final Mqtt5Publish p = publishes.receive(5, TimeUnit.SECONDS).orElseThrow();
                arrivals.add(System.nanoTime());
                sample = Requester.parse(p.getPayloadAsBytes());
                assertFalse(p.isRetain());
            }
            assertEquals(Set.of("ok", "event", "timestamp"), names(sample));
            assertEquals("heartbeat", sample.get("event").asText());
            assertTrue(sample.get("ok").asBoolean());
            final double meanMs = (arrivals.get(7) - arrivals.get(1)) / 6 / 1e6;
            assertTrue(Math.abs(meanMs - INTERVAL_MS) < INTERVAL_MS * 0.3, "mean gap " + meanMs + " ms");

            client.disconnect();
            awaitHealth("svc-beat", h -> !h.path("data").path("ok").asBoolean());
            while (publishes.receive(10, TimeUnit.MILLISECONDS).isPresent()) {
                // drain what was already in flight
            }
            assertTrue(
                    publishes.receive(3 * INTERVAL_MS, TimeUnit.MILLISECONDS).isEmpty(),
                    "no keepalive after the client left");
        } finally {
            watcher.disconnect();
        }
    }

    @Test
    void extensionPublishesItsOwnHealthAndKeepalive() throws Exception {
        final JsonNode self = awaitHealth("config-manager", h -> true);
        assertTrue(self.get("data").get("ok").asBoolean(), self.toString());
        assertEquals("started", self.get("data").get("event").asText());
        final Mqtt5BlockingClient watcher = broker.connect("self-watcher");
        try (var publishes = watcher.publishes(MqttGlobalPublishFilter.ALL)) {
            watcher.subscribeWith()
                    .topicFilter("system/keepalive/config-manager")
                    .send();
            assertEquals(
                    "heartbeat",
                    Requester.parse(publishes
                                    .receive(5, TimeUnit.SECONDS)
                                    .orElseThrow()
                                    .getPayloadAsBytes())
                            .get("event")
                            .asText());
        } finally {
            watcher.disconnect();
        }
    }

    @Test
    void clientsOutsideTheTrackedPatternsGetNoHealth() throws Exception {
        broker.connect("untracked-probe").disconnect();
        broker.connect("svc-after-untracked").disconnect();
        awaitHealth("svc-after-untracked", h -> !h.path("data").path("ok").asBoolean());
        assertTrue(RetainedReader.stored("system/health/untracked-probe").isEmpty());
    }

    @Test
    void forgedHealthAndKeepaliveAreDeniedAndOwnWellFormedHealthIsAllowed() throws Exception {
        final Mqtt5BlockingClient intruder = broker.connect("intruder");
        final Mqtt5BlockingClient victim = broker.connect("victim");
        try {
            awaitHealth("victim", h -> h.path("data").path("ok").asBoolean());
            final String valid = "{\"id\":\"0123456789abcdef0123456789abcdef\",\"type\":\"health.status\","
                    + "\"ts\":1729255022.036,\"source\":\"intruder\",\"data\":{\"message_id\":\"m1\",\"ok\":false,"
                    + "\"event\":\"forged\",\"timestamp\":1729255022.036}}";
            assertDenied(intruder, "system/health/victim", valid);
            assertDenied(
                    intruder, "system/keepalive/intruder", "{\"ok\":true,\"event\":\"heartbeat\",\"timestamp\":1}");
            assertDenied(intruder, "system/keepalive/victim", "{\"ok\":true,\"event\":\"heartbeat\",\"timestamp\":1}");
            assertDenied(intruder, "system/health/config-manager", valid);
            assertDenied(intruder, "system/health/intruder", "{\"ok\": true}");
            assertDenied(intruder, "system/health/intruder", valid.replace("\"event\"", "\"evil\""));
            assertTrue(awaitHealth("victim", h -> true).get("data").get("ok").asBoolean(), "victim untouched");

            final String own = valid.replace("forged", "warming_up").replace("\"ok\":false", "\"ok\":true");
            intruder.publishWith()
                    .topic("system/health/intruder")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .retain(true)
                    .payload(own.getBytes(StandardCharsets.UTF_8))
                    .send();
            assertEquals(
                    "warming_up",
                    awaitHealth(
                                    "intruder",
                                    h -> "warming_up"
                                            .equals(h.path("data").path("event").asText()))
                            .get("data")
                            .get("event")
                            .asText());
            assertTrue(Services.metricRegistry()
                            .counter("dev.configmanager.publishes.denied")
                            .getCount()
                    >= 6);
        } finally {
            intruder.disconnect();
            victim.disconnect();
        }
    }

    static void assertDenied(final Mqtt5BlockingClient client, final String topic, final String payload) {
        final var e = assertThrows(
                Mqtt5PubAckException.class,
                () -> client.publishWith()
                        .topic(topic)
                        .qos(MqttQos.AT_LEAST_ONCE)
                        .retain(true)
                        .payload(payload.getBytes(StandardCharsets.UTF_8))
                        .send(),
                topic);
        assertEquals(Mqtt5PubAckReasonCode.NOT_AUTHORIZED, e.getMqttMessage().getReasonCode(), topic);
    }

    static JsonNode awaitHealth(final String clientId, final Predicate<JsonNode> condition) throws Exception {
        return RetainedReader.await("system/health/" + clientId, condition);
    }

    static Set<String> names(final JsonNode node) {
        final Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
