package dev.configmanager.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * py-tars's tts-worker connects as {@code tars-tts} and publishes its health on {@code system/health/tts}. With an
 * alias for it, that publish is valid health (and only that client's), and every state of the client (connected, its
 * own reports, its end) is on both topics, so a reader of either never sees a stopped service shown alive.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class HealthAliasTest {

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withSettings(
            "<health><alias><client-id>tars-tts</client-id><topic>system/health/tts</topic></alias></health>");

    private static String health(final String source, final boolean ok, final String messageId) {
        return "{\"id\":\"0123456789abcdef0123456789abcdef\",\"type\":\"health.status\",\"ts\":1.5,\"source\":\""
                + source + "\",\"data\":{\"message_id\":\"" + messageId + "\",\"ok\":" + ok
                + ",\"event\":\"ready\",\"timestamp\":1.5}}";
    }

    private static void publish(final Mqtt5BlockingClient c, final String topic, final String body) {
        c.publishWith()
                .topic(topic)
                .qos(MqttQos.AT_LEAST_ONCE)
                .retain(true)
                .payload(body.getBytes(StandardCharsets.UTF_8))
                .send();
    }

    private static String messageId(final JsonNode health) {
        return health.path("data").path("message_id").asText();
    }

    @Test
    void theNamedClientsHealthIsOnItsAliasTopicAndNobodyElseMayPublishThere() throws Exception {
        final Mqtt5BlockingClient tts = broker.connect("tars-tts");
        RetainedReader.await(
                "system/health/tts",
                h -> h.path("data").path("ok").asBoolean()
                        && h.path("data").path("event").asText().equals("connected"));

        publish(tts, "system/health/tts", health("tts-worker", true, "tts-ready"));
        RetainedReader.await("system/health/tts", h -> messageId(h).equals("tts-ready"));
        RetainedReader.await("system/health/tars-tts", h -> messageId(h).equals("tts-ready"));

        final Mqtt5BlockingClient other = broker.connect("mallory");
        final var forged = assertThrows(
                Mqtt5PubAckException.class,
                () -> publish(other, "system/health/tts", health("tts-worker", false, "forged")));
        assertEquals(
                Mqtt5PubAckReasonCode.NOT_AUTHORIZED, forged.getMqttMessage().getReasonCode());
        final var elsewhere = assertThrows(
                Mqtt5PubAckException.class,
                () -> publish(tts, "system/health/router", health("tts-worker", true, "not-mine")));
        assertEquals(
                Mqtt5PubAckReasonCode.NOT_AUTHORIZED, elsewhere.getMqttMessage().getReasonCode());
        assertEquals("tts-ready", messageId(RetainedReader.await("system/health/tts", h -> true)));

        tts.disconnect();
        final JsonNode ended = RetainedReader.await(
                "system/health/tts", h -> !h.path("data").path("ok").asBoolean());
        assertEquals("config-manager", ended.get("source").asText());
        other.disconnect();
    }
}
