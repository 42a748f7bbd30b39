package dev.configmanager.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real MQTT 5 client that sends config requests with a response topic and correlation data, and waits for the
 * matching result.
 */
public final class Requester implements AutoCloseable {

    /** The result envelope, the topic it came on and the PUBACK the request got. */
    public record Reply(JsonNode envelope, Mqtt5PubAckReasonCode puback, String pubackReason, String topic) {
        public String type() {
            return envelope.path("type").asText();
        }

        public JsonNode data() {
            return envelope.path("data");
        }

        public String errorCode() {
            return data().path("error").path("code").asText(null);
        }

        public long version() {
            return data().path("version").asLong(-1);
        }

        public boolean accepted() {
            return "config.accepted".equals(type());
        }
    }

    /** Its own mapper: packaged-zip tests run without the extension's classes on the classpath. */
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Mqtt5BlockingClient client;
    private final Mqtt5BlockingClient.Mqtt5Publishes replies;
    private final String replyTopic;

    public Requester(final int port, final String clientId) {
        this(port, clientId, null);
    }

    /** @param username sent in CONNECT (access rules match on it), or {@code null} */
    public Requester(final int port, final String clientId, final String username) {
        final var builder = Mqtt5Client.builder()
                .identifier(clientId)
                .serverHost("127.0.0.1")
                .serverPort(port);
        client = (username == null
                        ? builder
                        : builder.simpleAuth().username(username).applySimpleAuth())
                .buildBlocking();
        client.connect();
        replyTopic = "test/replies/" + UUID.randomUUID(); // any client id, even one no topic could hold
        replies = client.publishes(MqttGlobalPublishFilter.SUBSCRIBED);
        client.subscribeWith()
                .topicFilter(replyTopic)
                .qos(MqttQos.AT_LEAST_ONCE)
                .send();
    }

    /** The topic results come back on when the request names no other. */
    public String replyTopic() {
        return replyTopic;
    }

    public Mqtt5BlockingClient client() {
        return client;
    }

    /**
     * Plain traffic through the broker: subscribes to {@code topic}, publishes {@code text} there and returns what
     * arrives within ten seconds (empty when nothing does).
     */
    public Optional<String> echo(final String topic, final String text) throws InterruptedException {
        try (var publishes = client.publishes(MqttGlobalPublishFilter.ALL)) {
            client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            client.publishWith()
                    .topic(topic)
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .payload(text.getBytes(StandardCharsets.UTF_8))
                    .send();
            return publishes
                    .receive(10, TimeUnit.SECONDS)
                    .map(p -> new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8));
        }
    }

    public Reply send(final String action, final String service, final String body) throws InterruptedException {
        return send(action + "/" + service, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Publishes {@code payload} to {@code config/<topicSuffix>} and returns the matching result. */
    public Reply send(final String topicSuffix, final byte[] payload) throws InterruptedException {
        return send(topicSuffix, payload, replyTopic);
    }

    /**
     * As {@link #send(String, byte[])}, asking for the result on {@code responseTopic}; the result is looked for
     * there and on {@code config/result/<service>} (where it goes when the extension does not use the response
     * topic).
     */
    public Reply send(final String topicSuffix, final byte[] payload, final String responseTopic)
            throws InterruptedException {
        final int slash = topicSuffix.indexOf('/');
        if (!responseTopic.equals(replyTopic) && slash > 0) {
            client.subscribeWith()
                    .topicFilter("config/result/" + topicSuffix.substring(slash + 1))
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
        }
        final String correlation = UUID.randomUUID().toString();
        Mqtt5PubAckReasonCode code;
        String reason = null;
        try {
            final var result = client.publishWith()
                    .topic("config/" + topicSuffix)
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .responseTopic(responseTopic)
                    .correlationData(correlation.getBytes(StandardCharsets.UTF_8))
                    .payload(payload)
                    .send();
            final Mqtt5PubAck ack = ((Mqtt5PublishResult.Mqtt5Qos1Result) result).getPubAck();
            code = ack.getReasonCode();
            reason = ack.getReasonString().map(Object::toString).orElse(null);
        } catch (final Mqtt5PubAckException e) {
            code = e.getMqttMessage().getReasonCode();
            reason = e.getMqttMessage().getReasonString().map(Object::toString).orElse(null);
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            final Optional<Mqtt5Publish> reply = replies.receive(1, TimeUnit.SECONDS);
            if (reply.isPresent()
                    && reply.get()
                            .getCorrelationData()
                            .map(c -> StandardCharsets.UTF_8.decode(c).toString())
                            .filter(correlation::equals)
                            .isPresent()) {
                return new Reply(
                        parse(reply.get().getPayloadAsBytes()),
                        code,
                        reason,
                        reply.get().getTopic().toString());
            }
        }
        throw new AssertionError("no result for the request on config/" + topicSuffix);
    }

    public static JsonNode parse(final byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (final java.io.IOException e) {
            throw new AssertionError("not JSON: " + new String(bytes, StandardCharsets.UTF_8), e);
        }
    }

    public static ByteBuffer utf8(final String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        client.disconnect();
    }
}
