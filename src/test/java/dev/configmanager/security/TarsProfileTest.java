package dev.configmanager.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.TestBroker;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One line, {@code <profile>tars</profile>}, and a py-tars service gets what its ConfigLibrary accepts: the update on
 * {@code system/config/<service>}, with the checksum py-tars computes (taken from the vectors made by running orjson)
 * and a signature that verifies with the served key; nobody else may publish there.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TarsProfileTest {

    private static final int CONSOLE = TestBroker.freePort();
    /** {@code sha256(orjson.dumps({"vad_threshold": 1e-05}, option=OPT_SORT_KEYS))}, from tars-signing.json. */
    private static final String PY_TARS_CHECKSUM = "0f219414b09e9474e1c68bc4cdd5e524d18b3f6a8658dd52378ddded7d63beae";

    @RegisterExtension
    static final BrokerExtension broker =
            BrokerExtension.withSettings("<profile>tars</profile><console><port>" + CONSOLE + "</port></console>");

    @Test
    void aPyTarsServiceReceivesSignedUpdatesOnSystemConfigWithItsOwnChecksum() throws Exception {
        final Mqtt5BlockingClient stt = broker.connect("tars-stt");
        try (var updates = stt.publishes(MqttGlobalPublishFilter.SUBSCRIBED)) {
            stt.subscribeWith()
                    .topicFilter("system/config/stt-worker")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
            try (Requester r = new Requester(broker.port(), "ops")) {
                assertTrue(r.send("set", "stt-worker", "{\"config\": {\"vad_threshold\": 1e-05}}")
                        .accepted());
            }
            final var received = updates.receive(10, TimeUnit.SECONDS).orElseThrow();
            assertEquals("system/config/stt-worker", received.getTopic().toString());
            final JsonNode body = Json.parse(new String(received.getPayloadAsBytes(), StandardCharsets.UTF_8));
            assertEquals(PY_TARS_CHECKSUM, body.get("checksum").asText(), body.toString());
            assertEquals(PY_TARS_CHECKSUM, CanonicalJson.sha256Hex(CanonicalJson.write(body.get("config"))));

            final Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(SignedUpdatesTest.publicKey(SignedUpdatesTest.servedKey(CONSOLE)));
            verifier.update((body.get("version").asLong() + "|stt-worker|" + CanonicalJson.write(body.get("config"))
                            + "|" + body.get("checksum").asText() + "|"
                            + body.get("config_epoch").asText() + "|"
                            + body.get("issued_at").asText())
                    .getBytes(StandardCharsets.UTF_8));
            assertTrue(verifier.verify(
                    Base64.getDecoder().decode(body.get("signature").asText())));
        }

        final var forged = assertThrows(
                Mqtt5PubAckException.class,
                () -> stt.publishWith()
                        .topic("system/config/stt-worker")
                        .qos(MqttQos.AT_LEAST_ONCE)
                        .retain(true)
                        .payload("{\"config\":{}}".getBytes(StandardCharsets.UTF_8))
                        .send());
        assertEquals(
                Mqtt5PubAckReasonCode.NOT_AUTHORIZED, forged.getMqttMessage().getReasonCode());
        stt.disconnect();
    }
}
