package dev.configmanager.security;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The spoofing matrix, on the real broker with the secure profile: for each protected topic and each kind of client
 * (anonymous, another service, the service itself, an admin), which publishes and subscriptions go through.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AccessRulesTest {

    /** The README's secure profile: admins do everything, a service reads only its own config. */
    static final String SECURE_PROFILE = """
            <access>
                <default>deny</default>
                <rule><username>admin</username><write>*</write><read>*</read></rule>
                <rule><username>svc</username><read>${client-id}</read></rule>
            </access>""";

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withSettings(SECURE_PROFILE);

    private static final String HEALTH = "{\"id\":\"0123456789abcdef0123456789abcdef\",\"type\":\"health.status\","
            + "\"ts\":1.5,\"source\":\"x\",\"data\":{\"message_id\":\"m\",\"ok\":true,\"event\":\"ready\","
            + "\"timestamp\":1.5}}";

    /** The four kinds of client, in matrix column order. */
    static final Map<String, Mqtt5BlockingClient> clients = new LinkedHashMap<>();

    @BeforeAll
    static void connect() throws Exception {
        clients.put("anonymous", client("anon-1", null));
        clients.put("other-service", client("tts-worker", "svc"));
        clients.put("service-itself", client("router", "svc"));
        clients.put("admin", client("ops-console", "admin"));
        try (Requester admin = new Requester(broker.port(), "seed-admin", "admin")) {
            admin.send("set", "router", "{\"config\": {\"router_stream_min_chars\": 30}}");
        }
    }

    @AfterAll
    static void disconnect() {
        clients.values().forEach(Mqtt5BlockingClient::disconnect);
    }

    @Test
    void publishMatrix() {
        final List<String> table = new ArrayList<>();
        row(table, "config/set/router", "{\"config\":{\"router_stream_min_chars\":31}}");
        row(table, "config/updated/router", "{\"forged\":true}");
        row(table, "config/result/router", "{\"forged\":true}");
        row(table, "system/keepalive/router", "{\"ok\":true,\"event\":\"heartbeat\",\"timestamp\":1}");
        row(table, "system/health/router", HEALTH);
        row(table, "plain/telemetry", "{}");
        assertEquals(
                List.of(
                        "config/set/router: anonymous=NOT_AUTHORIZED other-service=NOT_AUTHORIZED "
                                + "service-itself=NOT_AUTHORIZED admin=SUCCESS",
                        "config/updated/router: anonymous=NOT_AUTHORIZED other-service=NOT_AUTHORIZED "
                                + "service-itself=NOT_AUTHORIZED admin=NOT_AUTHORIZED",
                        "config/result/router: anonymous=NOT_AUTHORIZED other-service=NOT_AUTHORIZED "
                                + "service-itself=NOT_AUTHORIZED admin=NOT_AUTHORIZED",
                        "system/keepalive/router: anonymous=NOT_AUTHORIZED other-service=NOT_AUTHORIZED "
                                + "service-itself=NOT_AUTHORIZED admin=NOT_AUTHORIZED",
                        "system/health/router: anonymous=NOT_AUTHORIZED other-service=NOT_AUTHORIZED "
                                + "service-itself=SUCCESS admin=NOT_AUTHORIZED",
                        "plain/telemetry: anonymous=SUCCESS other-service=SUCCESS service-itself=SUCCESS admin=SUCCESS"),
                table);
    }

    @Test
    void subscriptionMatrix() {
        final List<String> table = new ArrayList<>();
        for (final String filter : List.of(
                "config/updated/router",
                "config/result/router",
                "config/updated/#",
                "config/+/router",
                "$share/g/config/updated/router",
                "config/updated/tts-worker",
                "#",
                "plain/telemetry")) {
            final var sb = new StringBuilder(filter).append(':');
            clients.forEach(
                    (kind, client) -> sb.append(' ').append(kind).append('=').append(subscribe(client, filter)));
            table.add(sb.toString());
        }
        assertEquals(
                List.of(
                        "config/updated/router: anonymous=denied other-service=denied service-itself=granted admin=granted",
                        "config/result/router: anonymous=denied other-service=denied service-itself=granted admin=granted",
                        "config/updated/#: anonymous=denied other-service=denied service-itself=denied admin=granted",
                        "config/+/router: anonymous=denied other-service=denied service-itself=granted admin=granted",
                        "$share/g/config/updated/router: anonymous=denied other-service=denied service-itself=granted "
                                + "admin=granted",
                        "config/updated/tts-worker: anonymous=denied other-service=granted service-itself=denied "
                                + "admin=granted",
                        "#: anonymous=denied other-service=denied service-itself=denied admin=granted",
                        "plain/telemetry: anonymous=granted other-service=granted service-itself=granted admin=granted"),
                table);
    }

    @Test
    void unauthorizedWriteIsAnsweredWithNotAuthorizedAndChangesNothing() throws Exception {
        // a service that may read only its own config: the PUBACK is its answer (it may read neither router's
        // result topic nor make the extension publish to a response topic of its choosing)
        final Mqtt5BlockingClient intruder = client("tts-worker-2", "svc");
        try {
            final var e = assertThrows(
                    Mqtt5PubAckException.class,
                    () -> intruder.publishWith()
                            .topic("config/set/router")
                            .qos(MqttQos.AT_LEAST_ONCE)
                            .responseTopic("replies/tts-worker-2")
                            .payload("{\"config\": {\"router_stream_min_chars\": 99}, \"request_id\": \"sneaky\"}"
                                    .getBytes(StandardCharsets.UTF_8))
                            .send());
            assertEquals(
                    Mqtt5PubAckReasonCode.NOT_AUTHORIZED, e.getMqttMessage().getReasonCode());
            assertTrue(e.getMqttMessage()
                    .getReasonString()
                    .orElseThrow()
                    .toString()
                    .startsWith("not_authorized"));
        } finally {
            intruder.disconnect();
        }
        try (Requester service = new Requester(broker.port(), "svc-reader", "svc")) {
            // a service may not write its own config either, but may read it: answered on its result topic
            final Requester.Reply reply = service.send(
                    "set/svc-reader",
                    "{\"config\": {}, \"request_id\": \"own\"}".getBytes(StandardCharsets.UTF_8),
                    "replies/svc-reader");
            assertEquals("not_authorized", reply.errorCode(), reply.envelope().toString());
            assertEquals("own", reply.envelope().get("id").asText());
            assertEquals("config/result/svc-reader", reply.topic());
        }
        try (java.sql.Connection db = broker.openDatabase();
                var rs = db.createStatement()
                        .executeQuery("SELECT outcome, error_code FROM cm_audit WHERE request_id = 'sneaky'")) {
            assertTrue(rs.next(), "the refused write is audited");
            assertEquals("not_authorized", rs.getString(2));
        }
        assertEquals(
                30,
                RetainedReader.receiveJson(broker.port(), "config/updated/router", "admin")
                        .get("config")
                        .get("router_stream_min_chars")
                        .asInt());
    }

    @Test
    void lastWillOnAProtectedTopicIsRemoved() throws Exception {
        final Mqtt5BlockingClient sly = Mqtt5Client.builder()
                .identifier("sly")
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .willPublish()
                .topic("config/updated/router")
                .retain(true)
                .qos(MqttQos.AT_LEAST_ONCE)
                .payload("{\"forged\":true}".getBytes(StandardCharsets.UTF_8))
                .applyWillPublish()
                .buildBlocking();
        sly.connect();
        sly.disconnectWith()
                .reasonCode(
                        com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode
                                .DISCONNECT_WITH_WILL_MESSAGE)
                .send();
        RetainedReader.await(
                "system/health/sly", h -> !h.path("data").path("ok").asBoolean());
        assertEquals(
                30,
                RetainedReader.receiveJson(broker.port(), "config/updated/router", "admin")
                        .get("config")
                        .get("router_stream_min_chars")
                        .asInt(),
                "no forged retained config");
    }

    private static void row(final List<String> table, final String topic, final String payload) {
        final var sb = new StringBuilder(topic).append(':');
        clients.forEach((kind, client) -> {
            String code;
            try {
                client.publishWith()
                        .topic(topic)
                        .qos(MqttQos.AT_LEAST_ONCE)
                        .payload(payload.getBytes(StandardCharsets.UTF_8))
                        .send();
                code = "SUCCESS";
            } catch (final Mqtt5PubAckException e) {
                code = e.getMqttMessage().getReasonCode().name();
            }
            sb.append(' ').append(kind).append('=').append(code);
        });
        table.add(sb.toString());
    }

    private static String subscribe(final Mqtt5BlockingClient client, final String filter) {
        try {
            client.subscribeWith()
                    .topicFilter(filter)
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
            client.unsubscribeWith().topicFilter(filter).send();
            return "granted";
        } catch (final Mqtt5SubAckException e) {
            return e.getMqttMessage().getReasonCodes().get(0) == Mqtt5SubAckReasonCode.NOT_AUTHORIZED
                    ? "denied"
                    : e.getMqttMessage().getReasonCodes().get(0).name();
        }
    }

    static Mqtt5BlockingClient client(final String id, final String username) {
        return client(id, username, broker.port());
    }

    static Mqtt5BlockingClient client(final String id, final String username, final int port) {
        final var builder =
                Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(port);
        final Mqtt5BlockingClient c = (username == null
                        ? builder
                        : builder.simpleAuth().username(username).applySimpleAuth())
                .buildBlocking();
        c.connect();
        return c;
    }
}
