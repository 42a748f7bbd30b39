package dev.configmanager.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.RawMqttClient;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whatever a client publishes or wills on a health topic never leaves a disconnected client shown alive, never speaks
 * for the extension, and only tracked clients have a health topic of their own.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class HealthForgeryTest {

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    /** A health.status envelope in the contract's shape, as a service would send it. */
    private static String health(final String source, final boolean ok, final String messageId) {
        return "{\"id\":\"0123456789abcdef0123456789abcdef\",\"type\":\"health.status\",\"ts\":1.5,\"source\":\""
                + source + "\",\"data\":{\"message_id\":\"" + messageId + "\",\"ok\":" + ok
                + ",\"event\":\"ready\",\"timestamp\":1.5}}";
    }

    private static boolean ok(final JsonNode health) {
        return health.path("data").path("ok").asBoolean();
    }

    @Test
    void theReservedIdsWillNeverReplacesTheExtensionsOwnHealth() throws Exception {
        final String before = RetainedReader.await("system/health/config-manager", h -> true)
                .path("data")
                .path("message_id")
                .asText();
        final Mqtt5BlockingClient impostor = Mqtt5Client.builder()
                .identifier("config-manager")
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .willPublish()
                .topic("system/health/config-manager")
                .retain(true)
                .qos(MqttQos.AT_LEAST_ONCE)
                .payload(health("config-manager", true, "forged").getBytes(StandardCharsets.UTF_8))
                .applyWillPublish()
                .buildBlocking();
        impostor.connect();
        final var e = assertThrows(
                Mqtt5PubAckException.class,
                () -> impostor.publishWith()
                        .topic("system/health/config-manager")
                        .qos(MqttQos.AT_LEAST_ONCE)
                        .payload(health("svc", false, "forged-publish").getBytes(StandardCharsets.UTF_8))
                        .send());
        assertEquals(Mqtt5PubAckReasonCode.NOT_AUTHORIZED, e.getMqttMessage().getReasonCode());
        impostor.disconnectWith()
                .reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE)
                .send();
        Thread.sleep(1_500);
        assertEquals(
                before,
                RetainedReader.await("system/health/config-manager", h -> true)
                        .path("data")
                        .path("message_id")
                        .asText(),
                "the extension's own health is still its own");
    }

    @Test
    void aDelayedWillOnItsOwnHealthNeverLeavesADeadClientOk() throws Exception {
        final Mqtt5BlockingClient client = Mqtt5Client.builder()
                .identifier("svc-delayed")
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .willPublish()
                .topic("system/health/svc-delayed")
                .retain(true)
                .qos(MqttQos.AT_LEAST_ONCE)
                .payload(health("svc-delayed", true, "will").getBytes(StandardCharsets.UTF_8))
                .delayInterval(2)
                .applyWillPublish()
                .buildBlocking();
        client.connectWith().sessionExpiryInterval(60).send();
        RetainedReader.await("system/health/svc-delayed", HealthForgeryTest::ok);
        client.disconnectWith()
                .reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE)
                .send();
        RetainedReader.await("system/health/svc-delayed", h -> !ok(h));
        Thread.sleep(3_500); // past the will delay
        final JsonNode after = RetainedReader.await("system/health/svc-delayed", h -> true);
        assertFalse(ok(after), after.toString());
        assertEquals("config-manager", after.get("source").asText());
    }

    @Test
    void anMqtt3WillOnItsOwnHealthNeverLeavesADeadClientOk() throws Exception {
        final RawMqttClient client = RawMqttClient.connect(
                broker.port(), "svc-will3", 60, "system/health/svc-will3", health("svc-will3", true, "will3"));
        RetainedReader.await("system/health/svc-will3", HealthForgeryTest::ok);
        client.close(); // no DISCONNECT: the broker publishes the will
        RetainedReader.await("system/health/svc-will3", h -> !ok(h));
        Thread.sleep(1_000);
        final JsonNode after = RetainedReader.await("system/health/svc-will3", h -> true);
        assertFalse(ok(after), after.toString());
        assertTrue(RetainedReader.stored("system/health/svc-will3").isPresent());
        assertFalse(after.path("data").path("message_id").asText().equals("will3"), "the will never landed");
    }

    @Test
    void ownHealthIsRelayedInOrderAndNeverOutlivesTheConnection() throws Exception {
        final Mqtt5BlockingClient client = Mqtt5Client.builder()
                .identifier("svc-rich")
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .buildBlocking();
        client.connect();
        RetainedReader.await("system/health/svc-rich", HealthForgeryTest::ok);
        client.publishWith()
                .topic("system/health/svc-rich")
                .qos(MqttQos.AT_LEAST_ONCE)
                .retain(true)
                .payload(health("svc-rich", true, "rich-1").getBytes(StandardCharsets.UTF_8))
                .send();
        final JsonNode rich = RetainedReader.await(
                "system/health/svc-rich",
                h -> h.path("data").path("message_id").asText().equals("rich-1"));
        assertEquals("svc-rich", rich.get("source").asText(), "the service's own health, as it sent it");
        client.disconnect();
        assertEquals(
                "disconnected",
                RetainedReader.await("system/health/svc-rich", h -> !ok(h))
                        .path("data")
                        .path("event")
                        .asText());

        // A publish right before the socket goes: whichever the broker handles last, the end of the connection wins.
        for (int i = 0; i < 20; i++) {
            final RawMqttClient raw = RawMqttClient.connect(broker.port(), "svc-racer", 60);
            RetainedReader.await("system/health/svc-racer", HealthForgeryTest::ok);
            raw.publish("system/health/svc-racer", health("svc-racer", true, "race-" + i), true);
            raw.close();
            RetainedReader.await("system/health/svc-racer", h -> !ok(h));
            Thread.sleep(100);
            final JsonNode end = RetainedReader.await("system/health/svc-racer", h -> true);
            assertFalse(ok(end), "round " + i + ": " + end);
        }
    }

    @Test
    void aClientMayNotPublishHealthInTheExtensionsName() {
        assertRefused("svc-claims", "system/health/svc-claims", health("config-manager", true, "claims"));
        assertRefused("svc-claims", "system/health/svc-claims", health(" Config-Manager", true, "claims"));
    }

    @Test
    void aClientIdThatCannotBeTrackedHasNoHealthTopicOfItsOwn() throws Exception {
        assertRefused("tts-worker/x", "system/health/tts-worker/x", health("tts-worker", true, "slash"));
        assertTrue(
                RetainedReader.stored("system/health/tts-worker/x").isEmpty(),
                "nothing that could count as an online tts-worker client");
    }

    /** {@code clientId}'s retained publish of {@code payload} to {@code topic} is refused not-authorized. */
    private static void assertRefused(final String clientId, final String topic, final String payload) {
        final Mqtt5BlockingClient client = Mqtt5Client.builder()
                .identifier(clientId)
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .buildBlocking();
        client.connect();
        try {
            HealthTest.assertDenied(client, topic, payload);
        } finally {
            client.disconnect();
        }
    }
}
