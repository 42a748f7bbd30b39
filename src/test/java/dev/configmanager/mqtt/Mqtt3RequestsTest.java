package dev.configmanager.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MQTT 3.1.1 clients: no response topic, so results arrive on config/result/<service>. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class Mqtt3RequestsTest {

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    static Mqtt3BlockingClient client;
    static Mqtt3BlockingClient.Mqtt3Publishes publishes;

    @BeforeAll
    static void start() throws Exception {
        client = Mqtt3Client.builder()
                .identifier("legacy-service")
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .buildBlocking();
        client.connect();
        publishes = client.publishes(MqttGlobalPublishFilter.SUBSCRIBED);
        client.subscribeWith()
                .topicFilter("config/result/#")
                .qos(MqttQos.AT_LEAST_ONCE)
                .send();
    }

    @AfterAll
    static void stop() throws Exception {
        client.disconnect();
    }

    @Test
    void setOverMqtt3IsAnsweredOnTheResultTopicAndRetained() throws Exception {
        publish("config/set/memory-worker", "{\"config\": {\"memory_top_k\": 7}, \"request_id\": \"m3-1\"}");
        final JsonNode result = nextResult("config/result/memory-worker");
        assertEquals("config.accepted", result.get("type").asText());
        assertEquals("m3-1", result.get("id").asText());
        assertEquals(1, result.get("data").get("version").asLong());

        final var reader = Mqtt3Client.builder()
                .identifier("legacy-reader")
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .buildBlocking();
        reader.connect();
        try (var incoming = reader.publishes(MqttGlobalPublishFilter.ALL)) {
            reader.subscribeWith()
                    .topicFilter("config/updated/memory-worker")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
            final Mqtt3Publish retained = incoming.receive(10, TimeUnit.SECONDS).orElseThrow();
            assertTrue(retained.isRetain());
            final JsonNode updated = Requester.parse(retained.getPayloadAsBytes());
            assertEquals(7, updated.get("config").get("memory_top_k").asInt());
        } finally {
            reader.disconnect();
        }
    }

    @Test
    void rejectionOverMqtt3CarriesTheErrorCodeOnTheResultTopic() throws Exception {
        publish("config/set/memory-worker", "{\"config\": {\"memory_top_k\": 99}}");
        final JsonNode result = nextResult("config/result/memory-worker");
        assertEquals("config.rejected", result.get("type").asText());
        assertEquals(
                "schema_violation", result.get("data").get("error").get("code").asText());
        assertEquals(
                "/memory_top_k",
                result.get("data")
                        .get("error")
                        .get("details")
                        .get(0)
                        .get("path")
                        .asText());
        assertTrue(client.getState().isConnected(), "an MQTT 3 client is not disconnected for a rejected request");
    }

    @Test
    void forgedPublishToTheUpdatedTopicIsDroppedForMqtt3() throws Exception {
        publish("config/set/llm-worker", "{\"config\": {\"rag_enabled\": false}}");
        assertEquals(
                "config.accepted",
                nextResult("config/result/llm-worker").get("type").asText());
        client.publishWith()
                .topic("config/updated/llm-worker")
                .qos(MqttQos.AT_LEAST_ONCE)
                .retain(true)
                .payload("{\"forged\": true}".getBytes(StandardCharsets.UTF_8))
                .send();
        assertTrue(client.getState().isConnected());
        final JsonNode updated =
                dev.configmanager.support.RetainedReader.receiveJson(broker.port(), "config/updated/llm-worker");
        assertEquals(1, updated.get("version").asLong(), "the forged retained message was not stored");
    }

    @Test
    void aTypoedActionOverMqtt3IsAnsweredOnTheServicesResultTopicAndNotDelivered() throws Exception {
        final var spy = Mqtt3Client.builder()
                .identifier("legacy-spy")
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .buildBlocking();
        spy.connect();
        try (var seen = spy.publishes(MqttGlobalPublishFilter.ALL)) {
            spy.subscribeWith()
                    .topicFilter("config/frobnicate/#")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
            publish("config/frobnicate/memory-worker", "{\"config\": {\"memory_top_k\": 3}, \"request_id\": \"t3\"}");
            final JsonNode result = nextResult("config/result/memory-worker");
            assertEquals(
                    "invalid_request",
                    result.get("data").get("error").get("code").asText());
            assertEquals("t3", result.get("id").asText());
            assertTrue(seen.receive(1, TimeUnit.SECONDS).isEmpty(), "the request was delivered");
        } finally {
            spy.disconnect();
        }
    }

    private static void publish(final String topic, final String payload) {
        client.publishWith()
                .topic(topic)
                .qos(MqttQos.AT_LEAST_ONCE)
                .payload(payload.getBytes(StandardCharsets.UTF_8))
                .send();
    }

    private static JsonNode nextResult(final String topic) throws InterruptedException {
        final Mqtt3Publish p = publishes.receive(20, TimeUnit.SECONDS).orElseThrow();
        assertEquals(topic, p.getTopic().toString());
        return Requester.parse(p.getPayloadAsBytes());
    }
}
