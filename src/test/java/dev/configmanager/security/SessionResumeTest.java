package dev.configmanager.security;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Read rules hold however a client came by its subscription: a client without read rights that resumes an admin's
 * persistent session (same client id, clean start / clean session off) inherits its subscriptions and queued
 * messages, but never a config or a result.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SessionResumeTest {

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withSettings(AccessRulesTest.SECURE_PROFILE);

    @Test
    void resumingAnAdminsMqtt5SessionDeliversNoConfig() throws Exception {
        final String id = "ops-console-5";
        final Mqtt5BlockingClient admin = mqtt5(id, "admin");
        admin.connectWith().cleanStart(false).sessionExpiryInterval(600).send();
        admin.subscribeWith()
                .topicFilter("config/updated/#")
                .qos(MqttQos.AT_LEAST_ONCE)
                .send();
        admin.subscribeWith()
                .topicFilter("plain/" + id)
                .qos(MqttQos.AT_LEAST_ONCE)
                .send();
        admin.disconnect();
        write("router", 31); // queued in the admin's session while it is away

        final Mqtt5BlockingClient intruder = mqtt5(id, null);
        try (var publishes = intruder.publishes(MqttGlobalPublishFilter.ALL)) {
            assertTrue(
                    intruder.connectWith()
                            .cleanStart(false)
                            .sessionExpiryInterval(600)
                            .send()
                            .isSessionPresent(),
                    "the intruder resumed the admin's session");
            write("router", 32); // published while the intruder holds the session
            publishPlain(id);
            assertEquals(
                    List.of("plain/" + id),
                    topicsWithin3s(() -> publishes
                            .receive(3, TimeUnit.SECONDS)
                            .map(p -> p.getTopic().toString())),
                    "the inherited session works, but carries no config");
        } finally {
            intruder.disconnect();
        }
    }

    @Test
    void resumingAnAdminsMqtt3SessionDeliversNoConfig() throws Exception {
        final String id = "ops-console-3";
        final Mqtt3BlockingClient admin = mqtt3(id, "admin");
        admin.connectWith().cleanSession(false).send();
        admin.subscribeWith()
                .topicFilter("config/updated/#")
                .qos(MqttQos.AT_LEAST_ONCE)
                .send();
        admin.subscribeWith()
                .topicFilter("config/result/#")
                .qos(MqttQos.AT_LEAST_ONCE)
                .send();
        admin.subscribeWith()
                .topicFilter("plain/" + id)
                .qos(MqttQos.AT_LEAST_ONCE)
                .send();
        admin.disconnect();
        write("router", 33);

        final Mqtt3BlockingClient intruder = mqtt3(id, null);
        try (var publishes = intruder.publishes(MqttGlobalPublishFilter.ALL)) {
            assertTrue(
                    intruder.connectWith().cleanSession(false).send().isSessionPresent(),
                    "the intruder resumed the admin's session");
            write("router", 34);
            publishPlain(id);
            assertEquals(
                    List.of("plain/" + id),
                    topicsWithin3s(() -> publishes
                            .receive(3, TimeUnit.SECONDS)
                            .map(p -> p.getTopic().toString())),
                    "the inherited session works, but carries no config");
        } finally {
            intruder.disconnect();
        }
    }

    @Test
    void theAdminItselfStillGetsWhatWasQueuedForIt() throws Exception {
        final String id = "ops-console-own";
        final Mqtt5BlockingClient admin = mqtt5(id, "admin");
        admin.connectWith().cleanStart(false).sessionExpiryInterval(600).send();
        admin.subscribeWith()
                .topicFilter("config/updated/router")
                .qos(MqttQos.AT_LEAST_ONCE)
                .send();
        admin.disconnect();
        write("router", 35);
        final Mqtt5BlockingClient back = mqtt5(id, "admin");
        try (var publishes = back.publishes(MqttGlobalPublishFilter.ALL)) {
            back.connectWith().cleanStart(false).sessionExpiryInterval(600).send();
            int latest = -1;
            for (var p = publishes.receive(10, TimeUnit.SECONDS);
                    p.isPresent() && latest != 35;
                    p = publishes.receive(10, TimeUnit.SECONDS)) {
                assertEquals("config/updated/router", p.get().getTopic().toString());
                latest = Requester.parse(p.get().getPayloadAsBytes())
                        .get("config")
                        .get("router_stream_min_chars")
                        .asInt();
            }
            assertEquals(35, latest, "the version written while it was away");
        } finally {
            back.disconnect();
        }
    }

    /** The next received topic, or empty when none came in time. */
    private interface NextTopic {
        Optional<String> receive() throws InterruptedException;
    }

    /** Every topic received until none arrives for 3 s. */
    private static List<String> topicsWithin3s(final NextTopic next) throws InterruptedException {
        final List<String> topics = new ArrayList<>();
        for (var topic = next.receive(); topic.isPresent(); topic = next.receive()) {
            topics.add(topic.get());
        }
        return topics;
    }

    private static void write(final String service, final int minChars) throws Exception {
        try (Requester writer = new Requester(broker.port(), "writer-" + System.nanoTime(), "admin")) {
            assertTrue(writer.send("set", service, "{\"config\": {\"router_stream_min_chars\": " + minChars + "}}")
                    .accepted());
        }
    }

    private static void publishPlain(final String id) {
        final Mqtt5BlockingClient other = Mqtt5Client.builder()
                .identifier("plain-" + System.nanoTime())
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .buildBlocking();
        other.connect();
        other.publishWith()
                .topic("plain/" + id)
                .qos(MqttQos.AT_LEAST_ONCE)
                .payload("hello".getBytes(StandardCharsets.UTF_8))
                .send();
        other.disconnect();
    }

    private static Mqtt5BlockingClient mqtt5(final String id, final String username) {
        final var builder =
                Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port());
        return (username == null
                        ? builder
                        : builder.simpleAuth().username(username).applySimpleAuth())
                .buildBlocking();
    }

    private static Mqtt3BlockingClient mqtt3(final String id, final String username) {
        final var builder =
                Mqtt3Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port());
        return (username == null
                        ? builder
                        : builder.simpleAuth().username(username).applySimpleAuth())
                .buildBlocking();
    }
}
