package dev.configmanager.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.Requester.Reply;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Config requests over MQTT 5 on a real embedded broker, end to end: request → H2 → retained config/updated. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConfigRequestsTest {

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    static Requester requester;

    @BeforeAll
    static void start() throws Exception {
        requester = new Requester(broker.port(), "admin-tool");
    }

    @AfterAll
    static void stop() throws Exception {
        requester.close();
    }

    @Test
    void setIsRetainedForLaterSubscriberWithExactKeysAndCanonicalChecksum() throws Exception {
        final Reply reply = requester.send(
                "set", "svc-set", "{\"config\": {\"b\": 1, \"a\": {\"d\": true, \"c\": \"é\"}, \"f\": 0.5}}");
        assertTrue(reply.accepted(), reply.envelope().toString());
        assertEquals(Mqtt5PubAckReasonCode.SUCCESS, reply.puback());
        assertEquals(1, reply.version());

        final Mqtt5Publish retained = RetainedReader.receive(broker.port(), "config/updated/svc-set");
        final JsonNode body = Requester.parse(retained.getPayloadAsBytes());
        assertEquals(
                Set.of("service", "config", "version", "config_epoch", "checksum", "issued_at", "signature"),
                fieldNames(body));
        assertEquals("svc-set", body.get("service").asText());
        assertEquals(1, body.get("version").asLong());
        assertTrue(body.get("signature").isNull());
        assertTrue(body.get("issued_at").asText().endsWith("+00:00"), "RFC 3339 as Python isoformat() prints it");
        // Python: json.dumps(cfg, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        final String canonical = "{\"a\":{\"c\":\"é\",\"d\":true},\"b\":1,\"f\":0.5}";
        assertEquals(sha256(canonical), body.get("checksum").asText());
        assertEquals(body.get("checksum").asText(), reply.data().get("checksum").asText());
        assertEquals(Optional.of(Mqtt5PubAckReasonCode.SUCCESS).isPresent(), retained.isRetain());
        assertEquals(MqttQos.AT_LEAST_ONCE, retained.getQos());
        assertEquals("1", userProperty(retained, "version"));
        assertEquals(sha256(canonical), userProperty(retained, "checksum"));
        assertEquals("mqtt:admin-tool", userProperty(retained, "updated-by"));
        assertEquals(reply.envelope().get("id").asText(), userProperty(retained, "request-id"));
    }

    @Test
    void resultIsAnEnvelopeThatEchoesTheEnvelopeRequestId() throws Exception {
        final Reply reply = requester.send("set", "svc-envelope", """
                {"id": "req-envelope-1", "type": "config.set", "ts": 1729255022.036, "source": "ops",
                 "data": {"config": {"x": 1}}}""");
        assertEquals(Set.of("id", "type", "ts", "source", "data"), fieldNames(reply.envelope()));
        assertEquals("req-envelope-1", reply.envelope().get("id").asText());
        assertEquals("config-manager", reply.envelope().get("source").asText());
        assertEquals(Set.of("service", "version", "checksum", "noop"), fieldNames(reply.data()));
        assertFalse(reply.data().get("noop").asBoolean());
    }

    @Test
    void patchWithNullDeletesKey() throws Exception {
        assertTrue(requester
                .send("set", "svc-patch", "{\"config\": {\"keep\": 1, \"drop\": 2, \"n\": {\"a\": 1}}}")
                .accepted());
        final Reply patched = requester.send(
                "patch", "svc-patch", "{\"patch\": {\"drop\": null, \"n\": {\"b\": 2}}, \"expected_version\": 1}");
        assertTrue(patched.accepted(), patched.envelope().toString());
        assertEquals(2, patched.version());
        final JsonNode config = RetainedReader.receiveJson(broker.port(), "config/updated/svc-patch")
                .get("config");
        assertEquals(Requester.parse("{\"keep\":1,\"n\":{\"a\":1,\"b\":2}}".getBytes(StandardCharsets.UTF_8)), config);
    }

    @Test
    void rollbackToAnOldVersionCreatesANewVersion() throws Exception {
        requester.send("set", "svc-rollback", "{\"config\": {\"level\": \"one\"}}");
        requester.send("set", "svc-rollback", "{\"config\": {\"level\": \"two\"}}");
        final Reply rolled = requester.send("rollback", "svc-rollback", "{\"to_version\": 1}");
        assertTrue(rolled.accepted(), rolled.envelope().toString());
        assertEquals(3, rolled.version());
        final JsonNode updated = RetainedReader.receiveJson(broker.port(), "config/updated/svc-rollback");
        assertEquals(3, updated.get("version").asLong());
        assertEquals("one", updated.get("config").get("level").asText());
    }

    @Test
    void deleteClearsTheRetainedTopicAndTheNextSetContinuesTheSequence() throws Exception {
        requester.send("set", "svc-delete", "{\"config\": {\"a\": 1}}");
        requester.send("set", "svc-delete", "{\"config\": {\"a\": 2}}");
        assertTrue(RetainedReader.stored("config/updated/svc-delete").isPresent());
        final Reply deleted = requester.send("delete", "svc-delete", "{\"expected_version\": 2}");
        assertTrue(deleted.accepted(), deleted.envelope().toString());
        assertEquals(3, deleted.version());
        assertTrue(RetainedReader.stored("config/updated/svc-delete").isEmpty());

        final Reply again = requester.send("set", "svc-delete", "{\"config\": {\"a\": 3}, \"expected_version\": 0}");
        assertTrue(again.accepted(), again.envelope().toString());
        assertEquals(4, again.version());
        assertEquals(
                4,
                RetainedReader.receiveJson(broker.port(), "config/updated/svc-delete")
                        .get("version")
                        .asLong());
    }

    @Test
    void staleExpectedVersionIsRejectedWithConflict() throws Exception {
        requester.send("set", "svc-conflict", "{\"config\": {\"a\": 1}}");
        requester.send("set", "svc-conflict", "{\"config\": {\"a\": 2}}");
        final Reply stale = requester.send("set", "svc-conflict", "{\"config\": {\"a\": 3}, \"expected_version\": 1}");
        assertEquals("config.rejected", stale.type());
        assertEquals("version_conflict", stale.errorCode());
        assertEquals(2, stale.data().get("current_version").asLong());
        assertEquals(Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR, stale.puback());
        assertTrue(stale.pubackReason().startsWith("version_conflict"), stale.pubackReason());
        assertEquals(
                2,
                RetainedReader.receiveJson(broker.port(), "config/updated/svc-conflict")
                        .get("version")
                        .asLong());
    }

    @Test
    void schemaViolationListsEveryFailingPath() throws Exception {
        final Reply reply = requester.send(
                "set", "stt-worker", "{\"config\": {\"vad_threshold\": 3, \"channels\": \"two\", \"typo_key\": true}}");
        assertEquals("schema_violation", reply.errorCode(), reply.envelope().toString());
        assertEquals(Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, reply.puback());
        final Set<String> paths = new TreeSet<>();
        reply.data()
                .get("error")
                .get("details")
                .forEach(d -> paths.add(d.get("path").asText()));
        assertTrue(paths.containsAll(Set.of("/vad_threshold", "/channels")), paths.toString());
        assertTrue(paths.size() >= 3, "the unknown key is reported too: " + paths);
        assertTrue(RetainedReader.stored("config/updated/stt-worker").isEmpty());
    }

    @Test
    void validConfigForASchemaServiceIsAccepted() throws Exception {
        final Reply reply = requester.send(
                "set", "router", "{\"config\": {\"router_stream_min_chars\": 40, \"router_wake_window_sec\": 8.5}}");
        assertTrue(reply.accepted(), reply.envelope().toString());
    }

    @Test
    void eachMalformedRequestGetsItsOwnErrorCode() throws Exception {
        assertRejected("set/svc-bad", "{not json", "invalid_json", Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID);
        assertRejected(
                "set/svc-bad", "{\"a\":1,\"a\":2}", "invalid_json", Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID);
        assertRejected(
                "set/svc-bad",
                new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'},
                "invalid_json",
                Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID);
        assertRejected("set/svc-bad", "[1, 2]", "invalid_request", Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID);
        assertRejected(
                "set/svc-bad", "{\"config\": 5}", "invalid_request", Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID);
        assertRejected(
                "set/svc-bad",
                "{\"config\": {}, \"expected_version\": \"1\"}",
                "invalid_request",
                Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID);
        assertRejected(
                "set/svc-bad", "{\"confg\": {}}", "invalid_request", Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID);
        assertRejected(
                "set/Bad_Name",
                "{\"config\": {}}",
                "invalid_service_name",
                Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID);
        assertRejected(
                "set/a/b", "{\"config\": {}}", "invalid_service_name", Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID);
        assertRejected(
                "set/svc-bad",
                "{\"config\": {\"v\": \"" + "x".repeat(300 * 1024) + "\"}}",
                "too_large",
                Mqtt5PubAckReasonCode.QUOTA_EXCEEDED);
        assertRejected(
                "set/svc-bad",
                "{\"config\": " + "[".repeat(40) + "]".repeat(40) + "}",
                "too_deep",
                Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID);
        assertRejected(
                "patch/svc-never-set", "{\"patch\": {\"a\": 1}}", "not_found", Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR);
        assertRejected("delete/svc-never-set", "{}", "not_found", Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR);
        requester.send("set", "svc-bad-rollback", "{\"config\": {\"a\": 1}}");
        assertRejected(
                "rollback/svc-bad-rollback",
                "{\"to_version\": 7}",
                "not_found",
                Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR);
        assertTrue(RetainedReader.stored("config/updated/svc-bad").isEmpty(), "nothing was stored");
    }

    @Test
    void duplicateRequestIdIsAnsweredWithItsFirstAnswerAndNotReapplied() throws Exception {
        final Reply first = requester.send("set", "svc-dedup", "{\"config\": {\"a\": 1}, \"request_id\": \"dup-1\"}");
        final Reply second = requester.send("set", "svc-dedup", "{\"config\": {\"a\": 2}, \"request_id\": \"dup-1\"}");
        assertEquals("dup-1", second.envelope().get("id").asText());
        assertEquals(first.data(), second.data());
        final JsonNode updated = RetainedReader.receiveJson(broker.port(), "config/updated/svc-dedup");
        assertEquals(1, updated.get("version").asLong());
        assertEquals(1, updated.get("config").get("a").asInt());
    }

    @Test
    void identicalConfigIsAcceptedAsNoopWithoutANewVersion() throws Exception {
        requester.send("set", "svc-noop", "{\"config\": {\"a\": 1, \"b\": [1, 2]}}");
        final Reply same = requester.send("set", "svc-noop", "{\"config\": {\"b\": [1, 2], \"a\": 1}}");
        assertTrue(same.accepted());
        assertTrue(same.data().get("noop").asBoolean());
        assertEquals(1, same.version());
        final Reply patchNoop = requester.send("patch", "svc-noop", "{\"patch\": {\"a\": 1}}");
        assertTrue(patchNoop.data().get("noop").asBoolean());
        assertEquals(
                1,
                RetainedReader.receiveJson(broker.port(), "config/updated/svc-noop")
                        .get("version")
                        .asLong());
    }

    @Test
    void errorsPointAtPositionsAndNeverQuoteWhatTheRequestSaid() throws Exception {
        final String secret = "sk-live-Q7Z9X2";
        final List<String> payloads = List.of(
                "{\"config\": {\"key\": " + secret + "}}", // a secret typed without quotes
                "{\"config\": {\"key\": \"x\"}} " + secret, // trailing content
                "{\"config\": {\"k\": \"\\q" + secret + "\"}}", // a bad escape right before it
                "{\"config\": {\"k\": 01" + secret + "}}", // a malformed number
                "{\"config\": {\"ws_url\": \"ftp://" + secret + "\"}}", // a schema pattern violation
                "{\"config\": {\"memory_dir\": \"" + secret + "\"}}");
        final List<String> services =
                List.of("svc-echo", "svc-echo", "svc-echo", "svc-echo", "stt-worker", "memory-worker");
        for (int i = 0; i < payloads.size(); i++) {
            final Reply reply = requester.send(
                    "set/" + services.get(i),
                    payloads.get(i)
                            .replace("\"config\"", "\"request_id\": \"echo-" + i + "\", \"config\"")
                            .getBytes(StandardCharsets.UTF_8));
            assertEquals("config.rejected", reply.type(), payloads.get(i));
            assertFalse(
                    reply.envelope().toString().contains("Q7Z9X2"),
                    reply.envelope().toString());
            assertFalse(String.valueOf(reply.pubackReason()).contains("Q7Z9X2"), reply.pubackReason());
        }
        // unreadable payloads have no request id to find them by: every audit line of these services is checked
        try (var db = broker.openDatabase();
                var rs = db.createStatement()
                        .executeQuery(
                                "SELECT message FROM cm_audit WHERE service IN ('svc-echo', 'stt-worker', 'memory-worker')")) {
            int rows = 0;
            while (rs.next()) {
                rows++;
                assertFalse(rs.getString(1).contains("Q7Z9X2"), rs.getString(1));
            }
            assertTrue(rows >= payloads.size(), rows + " audit lines");
        }
    }

    @Test
    void requestsAreNeverDeliveredToSubscribers() throws Exception {
        final List<String> topics = topicsSeenUnder("config/#", () -> {
            requester.send("set", "svc-hidden", "{\"config\": {\"a\": 1}}");
            requester.send("set", "svc-hidden", "{\"config\": 1}");
        });
        assertTrue(topics.contains("config/updated/svc-hidden"), topics.toString());
        assertTrue(topics.stream().noneMatch(t -> t.startsWith("config/set/")), topics.toString());
    }

    @Test
    void aTypoedActionIsAnsweredInvalidRequestAndNeverDelivered() throws Exception {
        final List<String> topics = topicsSeenUnder("config/#", () -> {
            final Reply typo = requester.send(
                    "frobnicate", "tts-worker", "{\"config\": {\"volume_percent\": 70}, \"request_id\": \"typo-1\"}");
            assertEquals("invalid_request", typo.errorCode(), typo.envelope().toString());
            assertEquals("typo-1", typo.envelope().get("id").asText());
            assertEquals(Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, typo.puback());
            final Reply bare = requester.send("frobnicate", "{}".getBytes(StandardCharsets.UTF_8));
            assertEquals("invalid_request", bare.errorCode(), bare.envelope().toString());
        });
        assertTrue(topics.stream().noneMatch(t -> t.startsWith("config/frobnicate")), topics.toString());
    }

    /** Something that talks to the broker and may throw. */
    private interface Requests {
        void send() throws Exception;
    }

    /** The topics a subscriber to {@code filter} receives while {@code requests} run (and everything before). */
    private static List<String> topicsSeenUnder(final String filter, final Requests requests) throws Exception {
        final var spy = com.hivemq.client.mqtt.mqtt5.Mqtt5Client.builder()
                .identifier("spy-" + System.nanoTime())
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .buildBlocking();
        spy.connect();
        try (var publishes = spy.publishes(MqttGlobalPublishFilter.ALL)) {
            spy.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send();
            spy.subscribeWith()
                    .topicFilter("marker/#")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
            requests.send();
            // Messages from one publisher arrive in order: once the marker is here, everything before it is too.
            requester
                    .client()
                    .publishWith()
                    .topic("marker/spy")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
            final List<String> topics = new ArrayList<>();
            while (true) {
                final Mqtt5Publish p = publishes.receive(10, TimeUnit.SECONDS).orElseThrow();
                if (p.getTopic().toString().equals("marker/spy")) {
                    return topics;
                }
                topics.add(p.getTopic().toString());
            }
        } finally {
            spy.disconnect();
        }
    }

    @Test
    void clientPublishToTheUpdatedTopicIsDenied() throws Exception {
        requester.send("set", "svc-owned", "{\"config\": {\"a\": 1}}");
        final var e = assertThrows(
                Mqtt5PubAckException.class,
                () -> requester
                        .client()
                        .publishWith()
                        .topic("config/updated/svc-owned")
                        .qos(MqttQos.AT_LEAST_ONCE)
                        .retain(true)
                        .payload("{\"forged\": true}".getBytes(StandardCharsets.UTF_8))
                        .send());
        assertEquals(Mqtt5PubAckReasonCode.NOT_AUTHORIZED, e.getMqttMessage().getReasonCode());
        assertEquals(
                1,
                RetainedReader.receiveJson(broker.port(), "config/updated/svc-owned")
                        .get("version")
                        .asLong());
    }

    @Test
    void everyRequestIsAuditedAndEveryVersionRecordsWhoWhenAndWhy() throws Exception {
        final Reply accepted =
                requester.send("set", "svc-audit", "{\"config\": {\"a\": 1}, \"request_id\": \"aud-1\"}");
        requester.send(
                "set", "svc-audit", "{\"config\": {\"a\": 2}, \"expected_version\": 9, \"request_id\": \"aud-2\"}");
        requester.send("set", "svc-audit", "{\"config\": 3, \"request_id\": \"aud-3\"}");
        try (var db = broker.openDatabase();
                var audit = db.createStatement()
                        .executeQuery("SELECT request_id, outcome, error_code, version, requester"
                                + ", origin FROM cm_audit WHERE service = 'svc-audit' ORDER BY id")) {
            final List<String> rows = new ArrayList<>();
            while (audit.next()) {
                rows.add(audit.getString(1) + " " + audit.getString(2) + " " + audit.getString(3) + " "
                        + audit.getObject(4) + " " + audit.getString(5) + " " + audit.getString(6));
            }
            assertEquals(
                    List.of(
                            "aud-1 accepted null 1 mqtt:admin-tool MQTT",
                            "aud-2 rejected version_conflict null mqtt:admin-tool MQTT",
                            "aud-3 rejected invalid_request null mqtt:admin-tool MQTT"),
                    rows);
        }
        try (var db = broker.openDatabase();
                var history = db.createStatement()
                        .executeQuery("SELECT version, change_kind, updated_by, request_id, "
                                + "origin, updated_at, checksum FROM cm_history WHERE service = 'svc-audit'")) {
            assertTrue(history.next());
            assertEquals(1, history.getLong(1));
            assertEquals("SET", history.getString(2));
            assertEquals("mqtt:admin-tool", history.getString(3));
            assertEquals("aud-1", history.getString(4));
            assertEquals("MQTT", history.getString(5));
            assertNotNull(history.getTimestamp(6));
            assertEquals(accepted.data().get("checksum").asText(), history.getString(7));
            assertFalse(history.next());
        }
        final var metrics = com.hivemq.extension.sdk.api.services.Services.metricRegistry();
        assertTrue(metrics.counter("dev.configmanager.requests.accepted").getCount() > 0);
        assertTrue(metrics.counter("dev.configmanager.requests.rejected.version_conflict")
                        .getCount()
                > 0);
        assertTrue(metrics.timer("dev.configmanager.store.commit").getCount() > 0);
    }

    private static void assertRejected(
            final String topicSuffix, final String payload, final String code, final Mqtt5PubAckReasonCode puback)
            throws Exception {
        assertRejected(topicSuffix, payload.getBytes(StandardCharsets.UTF_8), code, puback);
    }

    private static void assertRejected(
            final String topicSuffix, final byte[] payload, final String code, final Mqtt5PubAckReasonCode puback)
            throws Exception {
        final Reply reply = requester.send(topicSuffix, payload);
        assertEquals("config.rejected", reply.type(), reply.envelope().toString());
        assertEquals(code, reply.errorCode(), reply.envelope().toString());
        assertNotNull(reply.data().get("error").get("message").asText(null));
        assertEquals(puback, reply.puback(), topicSuffix + " " + code);
    }

    static Set<String> fieldNames(final JsonNode node) {
        final Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    static String userProperty(final Mqtt5Publish publish, final String name) {
        return publish.getUserProperties().asList().stream()
                .filter(p -> p.getName().toString().equals(name))
                .map(p -> p.getValue().toString())
                .findFirst()
                .orElse(null);
    }

    static String sha256(final String s) throws Exception {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
