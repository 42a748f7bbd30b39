package dev.configmanager.health;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One CONNECT with the longest client id HiveMQ accepts must not cut every health monitor off: HiveMQ stores a
 * retained message on a topic longer than MQTT can encode, then disconnects every subscriber whose filter matches it.
 * Such messages left by an older version are removed at start.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UndeliverableTopicTest {

    private static final String LONGEST_ID = "x".repeat(65_535);

    @TempDir
    static Path dir;

    static TestBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = TestBroker.startPersistent(dir, "");
    }

    @AfterAll
    static void stop() throws Exception {
        broker.close();
    }

    @Test
    @Order(1)
    void theLongestClientIdLeavesEveryHealthMonitorWorkingAlsoAfterARestart() throws Exception {
        final Mqtt5BlockingClient victim = connect("victim-a");
        connect("victim-b").disconnect();
        final Mqtt5BlockingClient attacker = connect(LONGEST_ID);
        attacker.disconnect();
        connect("x".repeat(257)).disconnect(); // over health/max-client-id-length

        assertTrue(monitor().containsAll(Set.of("victim-a", "victim-b", "config-manager")));
        assertTrue(
                RetainedReader.stored("system/health/" + "x".repeat(257)).isEmpty(),
                "ids over the bound are not tracked");
        victim.disconnect();

        broker.restartOnSameHome();
        assertTrue(monitor().containsAll(Set.of("victim-a", "victim-b", "config-manager")));
    }

    @Test
    @Order(2)
    void undeliverableAndUnservableMessagesLeftByAnOlderVersionAreRemovedAtStart() throws Exception {
        connect("victim-c").disconnect();
        final String tooLong = "system/health/" + LONGEST_ID;
        final String[] leftovers = {
            tooLong,
            "system/health/tts-worker/x",
            "system/keepalive/old",
            "config/frobnicate/router",
            "config/result/router",
            "config/updated/router/extra"
        };
        final String ok = "{\"id\":\"0123456789abcdef0123456789abcdef\",\"type\":\"health.status\",\"ts\":1.5,"
                + "\"source\":\"tts-worker\",\"data\":{\"message_id\":\"m\",\"ok\":true,\"timestamp\":1.5}}";
        for (final String topic : leftovers) {
            // what an older version (or an older guard) let through: published past every interceptor
            Services.publishService()
                    .publish(Builders.publish()
                            .topic(topic)
                            .qos(Qos.AT_LEAST_ONCE)
                            .retain(true)
                            .payload(ByteBuffer.wrap(ok.getBytes(StandardCharsets.UTF_8)))
                            .build())
                    .get(10, TimeUnit.SECONDS);
        }
        assertTrue(RetainedReader.stored(tooLong).isPresent(), "the broker stores what it cannot deliver");

        broker.restartOnSameHome();

        for (final String topic : leftovers) {
            assertEquals(
                    Optional.empty(),
                    RetainedReader.stored(topic).map(p -> p.getTopic().length()),
                    topic.length() > 100 ? "the 65,549-character health topic" : topic);
        }
        final Set<String> seen = monitor();
        assertTrue(seen.containsAll(Set.of("victim-a", "victim-b", "victim-c", "config-manager")), seen.toString());
    }

    /** Client ids whose retained health a fresh subscriber to {@code system/health/#} receives, staying connected. */
    private static Set<String> monitor() throws Exception {
        final Mqtt5BlockingClient monitor = connect("monitor-" + System.nanoTime());
        final Set<String> ids = new TreeSet<>();
        try (var publishes = monitor.publishes(MqttGlobalPublishFilter.ALL)) {
            monitor.subscribeWith()
                    .topicFilter("system/health/#")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
            Optional<Mqtt5Publish> p;
            while ((p = publishes.receive(2, TimeUnit.SECONDS)).isPresent()) {
                if (p.get().isRetain()) {
                    ids.add(p.get().getTopic().toString().substring("system/health/".length()));
                }
            }
            assertTrue(monitor.getState().isConnected(), "the broker did not cut the monitor off");
        } finally {
            if (monitor.getState().isConnected()) {
                monitor.disconnect();
            }
        }
        return ids;
    }

    private static Mqtt5BlockingClient connect(final String id) {
        final Mqtt5BlockingClient client = Mqtt5Client.builder()
                .identifier(id)
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .buildBlocking();
        client.connect();
        return client;
    }
}
