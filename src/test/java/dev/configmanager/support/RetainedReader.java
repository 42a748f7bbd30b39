package dev.configmanager.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.publish.RetainedPublish;

import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** Reads retained messages the way a service does: a fresh subscriber that joins late. */
public final class RetainedReader {

    private RetainedReader() {}

    /** The retained message on {@code topic}, as received by a new MQTT 5 subscriber. */
    public static Mqtt5Publish receive(final int port, final String topic) throws InterruptedException {
        return receive(port, topic, null);
    }

    /** As {@link #receive(int, String)}, connecting with {@code username} (for brokers with access rules). */
    public static Mqtt5Publish receive(final int port, final String topic, final String username)
            throws InterruptedException {
        final var builder = Mqtt5Client.builder()
                .identifier("reader-" + UUID.randomUUID())
                .serverHost("127.0.0.1")
                .serverPort(port);
        final var client = (username == null
                        ? builder
                        : builder.simpleAuth().username(username).applySimpleAuth())
                .buildBlocking();
        client.connect();
        try (var publishes = client.publishes(MqttGlobalPublishFilter.ALL)) {
            client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                final Optional<Mqtt5Publish> p = publishes.receive(1, TimeUnit.SECONDS);
                if (p.isPresent() && p.get().isRetain()) {
                    return p.get();
                }
            }
            throw new AssertionError("no retained message on " + topic);
        } finally {
            client.disconnect();
        }
    }

    public static JsonNode receiveJson(final int port, final String topic) throws InterruptedException {
        return Requester.parse(receive(port, topic).getPayloadAsBytes());
    }

    public static JsonNode receiveJson(final int port, final String topic, final String username)
            throws InterruptedException {
        return Requester.parse(receive(port, topic, username).getPayloadAsBytes());
    }

    /**
     * The retained JSON on {@code topic} once it satisfies {@code condition}, read from the embedded broker's store;
     * the extension publishes asynchronously, so a test waits for the state instead of assuming it.
     */
    public static JsonNode await(final String topic, final java.util.function.Predicate<JsonNode> condition)
            throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            final Optional<JsonNode> json = stored(topic)
                    .flatMap(RetainedPublish::getPayload)
                    .map(b -> {
                        final byte[] bytes = new byte[b.remaining()];
                        b.duplicate().get(bytes);
                        return Requester.parse(bytes);
                    });
            if (json.isPresent()) {
                last = json.get();
                if (condition.test(last)) {
                    return last;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("retained message on " + topic + " never matched; last: " + last);
    }

    /**
     * The retained JSON on {@code topic} of the broker at {@code port} (any broker: read over MQTT) once it satisfies
     * {@code condition}.
     */
    public static JsonNode await(
            final int port, final String topic, final java.util.function.Predicate<JsonNode> condition)
            throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = receiveJson(port, topic);
                if (condition.test(last)) {
                    return last;
                }
            } catch (final AssertionError none) {
                // nothing retained yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("retained message on " + topic + " never matched; last: " + last);
    }

    /** Whether the broker holds a retained message on {@code topic} (asked of the embedded broker directly). */
    public static Optional<RetainedPublish> stored(final String topic) throws Exception {
        return Services.retainedMessageStore().getRetainedMessage(topic).get(10, TimeUnit.SECONDS);
    }
}
