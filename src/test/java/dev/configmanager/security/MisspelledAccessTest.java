package dev.configmanager.security;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import dev.configmanager.support.BrokerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A security setting that cannot be read fails closed: {@code <default>denny</default>} denies, it does not allow. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MisspelledAccessTest {

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withSettings("<access><default>denny</default></access>");

    @Test
    void aMisspelledDefaultDeniesWritesAndReads() throws Exception {
        final Mqtt5BlockingClient reader = AccessRulesTest.client("anon-reader", null, broker.port());
        try {
            final var refused = assertThrows(
                    Mqtt5PubAckException.class,
                    () -> reader.publishWith()
                            .topic("config/set/router")
                            .qos(MqttQos.AT_LEAST_ONCE)
                            .payload("{\"config\": {\"router_stream_min_chars\": 5}}".getBytes(StandardCharsets.UTF_8))
                            .send());
            assertEquals(
                    Mqtt5PubAckReasonCode.NOT_AUTHORIZED,
                    refused.getMqttMessage().getReasonCode());
            final var e = assertThrows(
                    Mqtt5SubAckException.class,
                    () -> reader.subscribeWith()
                            .topicFilter("config/updated/#")
                            .qos(MqttQos.AT_LEAST_ONCE)
                            .send());
            assertEquals(
                    Mqtt5SubAckReasonCode.NOT_AUTHORIZED,
                    e.getMqttMessage().getReasonCodes().get(0));
        } finally {
            reader.disconnect();
        }
    }
}
