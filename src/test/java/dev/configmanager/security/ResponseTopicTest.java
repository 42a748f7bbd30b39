package dev.configmanager.security;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An MQTT 5 response topic never makes the extension publish on a client's behalf where it owns the topics, nor on
 * {@code $} topics: the result goes to {@code config/result/<service>} (for a requester refused by the write rules,
 * only if it may read that service), and the audit log says the response topic was refused.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ResponseTopicTest {

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withSettings(AccessRulesTest.SECURE_PROFILE);

    private static final List<String> FORGED = List.of(
            "config/updated/tts-worker",
            "system/health/victim",
            "system/keepalive/x",
            "config/result/tts-worker",
            "config/set/tts-worker",
            "config/frobnicate/x",
            "$SYS/broker/clients");

    @Test
    void resultsGoToTheServicesResultTopicWhateverResponseTopicARequestNames() throws Exception {
        final Mqtt5BlockingClient watcher = client("watcher", "admin");
        final Mqtt5BlockingClient admin = client("ops", "admin");
        final Mqtt5BlockingClient intruder = client("intruder", null);
        final Map<String, String> fromAdmin = new LinkedHashMap<>(); // request id -> forged response topic
        final Map<String, String> fromIntruder = new LinkedHashMap<>();
        final List<Mqtt5Publish> seen = new ArrayList<>();
        try (var publishes = watcher.publishes(MqttGlobalPublishFilter.ALL)) {
            watcher.subscribeWith().topicFilter("#").qos(MqttQos.AT_LEAST_ONCE).send();
            watcher.subscribeWith()
                    .topicFilter("$SYS/#")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
            int n = 0;
            for (final String forged : FORGED) {
                final String byAdmin = "rt-" + (n++);
                fromAdmin.put(byAdmin, forged);
                assertEquals(Mqtt5PubAckReasonCode.SUCCESS, request(admin, forged, byAdmin));
                final String byIntruder = "rt-" + (n++);
                fromIntruder.put(byIntruder, forged);
                assertEquals(Mqtt5PubAckReasonCode.NOT_AUTHORIZED, request(intruder, forged, byIntruder));
            }
            for (var p = publishes.receive(3, TimeUnit.SECONDS);
                    p.isPresent();
                    p = publishes.receive(3, TimeUnit.SECONDS)) {
                seen.add(p.get());
            }
        } finally {
            watcher.disconnect();
            admin.disconnect();
            intruder.disconnect();
        }
        for (final Map.Entry<String, String> request : fromAdmin.entrySet()) {
            assertEquals(List.of("config/result/router"), topicsOf(seen, request.getKey()), "result of " + request);
        }
        for (final Map.Entry<String, String> request : fromIntruder.entrySet()) {
            // refused, and it may not read router: its PUBACK is its answer, nothing lands where writers wait
            assertEquals(List.of(), topicsOf(seen, request.getKey()), "result of " + request);
        }
        for (final Mqtt5Publish p : seen) {
            final String topic = p.getTopic().toString();
            if (FORGED.contains(topic)) {
                final String type =
                        Requester.parse(p.getPayloadAsBytes()).path("type").asText();
                assertTrue(!type.startsWith("config."), "a result envelope on " + topic);
            }
        }
        try (Connection db = broker.openDatabase();
                PreparedStatement q =
                        db.prepareStatement("SELECT outcome, message FROM cm_audit WHERE request_id = ?")) {
            for (final String id : List.of(fromAdmin.keySet(), fromIntruder.keySet()).stream()
                    .flatMap(java.util.Set::stream)
                    .toList()) {
                q.setString(1, id);
                try (ResultSet rs = q.executeQuery()) {
                    assertTrue(rs.next(), id + " is audited");
                    assertTrue(rs.getString(2).contains("response topic refused"), id + ": " + rs.getString(2));
                }
            }
        }
    }

    @Test
    void aResponseTopicOfTheRequestersOwnIsHonouredForAWriterOnly() throws Exception {
        try (Requester admin = new Requester(broker.port(), "ops-own", "admin")) {
            final Requester.Reply reply = admin.send("set", "router", "{\"config\": {\"router_stream_min_chars\": 9}}");
            assertTrue(reply.accepted(), reply.envelope().toString());
            assertEquals(admin.replyTopic(), reply.topic());
        }
        // the service reads its own config but may not write it: refused, and answered where it may read
        try (Requester service = new Requester(broker.port(), "svc-reader", "svc")) {
            final Requester.Reply reply = service.send(
                    "set/svc-reader",
                    "{\"config\": {}}".getBytes(StandardCharsets.UTF_8),
                    "replies/svc-reader/elsewhere");
            assertEquals("not_authorized", reply.errorCode(), reply.envelope().toString());
            assertEquals("config/result/svc-reader", reply.topic());
        }
    }

    private static List<String> topicsOf(final List<Mqtt5Publish> seen, final String correlation) {
        return seen.stream()
                .filter(p -> p.getCorrelationData()
                        .map(c -> StandardCharsets.UTF_8.decode(c).toString())
                        .filter(correlation::equals)
                        .isPresent())
                .map(p -> p.getTopic().toString())
                .toList();
    }

    private static Mqtt5PubAckReasonCode request(
            final Mqtt5BlockingClient sender, final String responseTopic, final String id) {
        try {
            sender.publishWith()
                    .topic("config/set/router")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .responseTopic(responseTopic)
                    .correlationData(id.getBytes(StandardCharsets.UTF_8))
                    .payload(("{\"config\": {\"router_stream_min_chars\": 25}, \"request_id\": \"" + id + "\"}")
                            .getBytes(StandardCharsets.UTF_8))
                    .send();
            return Mqtt5PubAckReasonCode.SUCCESS;
        } catch (final Mqtt5PubAckException e) {
            return e.getMqttMessage().getReasonCode();
        }
    }

    private static Mqtt5BlockingClient client(final String id, final String username) {
        final var builder =
                Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port());
        final Mqtt5BlockingClient c = (username == null
                        ? builder
                        : builder.simpleAuth().username(username).applySimpleAuth())
                .buildBlocking();
        c.connect();
        return c;
    }
}
