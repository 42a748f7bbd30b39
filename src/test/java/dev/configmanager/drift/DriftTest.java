package dev.configmanager.drift;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.TestBroker;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Desired versus running on a real broker and store: clients report on {@code config/applied/<service>}, the console
 * joins their reports with the current version and their health.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DriftTest {

    private static final int CONSOLE = TestBroker.freePort();
    private static final String READER = "read-token-drift-51c3";
    private static final String ADMIN = "admin-token-drift-90ab";
    private static final String SETTINGS =
            """
            <console><port>%d</port>
              <token><name>viewer</name><role>read</role><sha256>%s</sha256></token>
              <token><name>admin</name><role>admin</role><sha256>%s</sha256></token>
            </console>
            <access>
              <default>deny</default>
              <rule><client-id>ops</client-id><write>*</write><read>*</read></rule>
              <rule><client-id>web-*</client-id><read>web</read></rule>
            </access>""".formatted(CONSOLE, CanonicalJson.sha256Hex(READER), CanonicalJson.sha256Hex(ADMIN));

    @RegisterExtension
    static final BrokerExtension fixture = BrokerExtension.manual();

    private static final HttpClient http = HttpClient.newHttpClient();

    @Test
    void reportsShowWhoIsInSyncBehindFailedOrUnknownAndSurviveARestart() throws Exception {
        final TestBroker broker = fixture.start(dir -> TestBroker.startPersistent(dir, SETTINGS));
        final String c1;
        final String c2;
        try (Requester ops = new Requester(broker.port(), "ops")) {
            c1 = ops.send("set", "web", "{\"config\": {\"a\": 1}}")
                    .data()
                    .get("checksum")
                    .asText();
            c2 = ops.send("set", "web", "{\"config\": {\"a\": 2}}")
                    .data()
                    .get("checksum")
                    .asText();
        }
        final Mqtt5BlockingClient watcher = connect(broker, "ops-watcher-" + UUID.randomUUID());
        final Mqtt5BlockingClient.Mqtt5Publishes seen = watcher.publishes(MqttGlobalPublishFilter.ALL);
        watcher.subscribeWith()
                .topicFilter("config/applied/#")
                .qos(MqttQos.AT_LEAST_ONCE)
                .send();

        final Mqtt5BlockingClient r1 = connect(broker, "web-1");
        final Mqtt5BlockingClient r2 = connect(broker, "web-2");
        final Mqtt5BlockingClient r3 = connect(broker, "web-3");
        final Mqtt5BlockingClient r4 = connect(broker, "web-4");
        final Mqtt5BlockingClient spy = connect(broker, "spy-1");
        try {
            assertEquals(Mqtt5PubAckReasonCode.SUCCESS, report(r1, "web", report(2, c2, true, null)).code);
            assertEquals(Mqtt5PubAckReasonCode.SUCCESS, report(r2, "web", report(1, c1, true, null)).code);
            // the envelope form, as py-tars services publish
            assertEquals(
                    Mqtt5PubAckReasonCode.SUCCESS,
                    report(
                                    r3,
                                    "web",
                                    "{\"id\": \"r3-1\", \"type\": \"config.applied\", \"ts\": 1767225600.5, "
                                            + "\"source\": \"web-3\", \"data\": "
                                            + report(2, c2, false, "threads: out of range") + "}")
                            .code);

            awaitState("web", "web-4", "unknown"); // its health is published just after it connects
            JsonNode drift = drift("web");
            assertEquals(2, drift.get("desired_version").asLong());
            assertEquals(c2, drift.get("desired_checksum").asText());
            assertEquals(
                    Map.of("web-1", "in_sync", "web-2", "behind", "web-3", "failed", "web-4", "unknown"),
                    states(drift),
                    drift.toString());
            assertEquals(1, drift.at("/counts/in_sync").asInt());
            assertEquals(1, drift.at("/counts/behind").asInt());
            assertEquals(1, drift.at("/counts/failed").asInt());
            assertEquals(1, drift.at("/counts/unknown").asInt());
            assertEquals(4, drift.at("/counts/total").asInt());
            final JsonNode failed = row(drift, "web-3");
            assertEquals("threads: out of range", failed.get("error").asText());
            assertFalse(failed.get("ok").asBoolean());
            assertTrue(row(drift, "web-1").get("online").asBoolean());
            final JsonNode listed = service(get("/api/services"), "web");
            assertEquals(1, listed.at("/drift/in_sync").asInt(), listed.toString());
            assertEquals(4, listed.at("/drift/total").asInt());

            // a checksum that is not that version's is a failed apply, whatever the client says
            final Mqtt5BlockingClient r5 = connect(broker, "web-5");
            assertEquals(Mqtt5PubAckReasonCode.SUCCESS, report(r5, "web", report(1, c2, true, null)).code);
            assertEquals("failed", states(drift("web")).get("web-5"));
            r5.disconnect();
            // gone, it is still listed, but no longer counted (a replaced pod must not stay "failed" for days)
            final long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (row(drift("web"), "web-5").get("online").asBoolean() && System.nanoTime() < gone) {
                Thread.sleep(100);
            }
            drift = drift("web");
            assertEquals("failed", states(drift).get("web-5"));
            assertEquals(1, drift.at("/counts/failed").asInt(), drift.toString());
            assertEquals(1, drift.at("/counts/offline").asInt());

            // a long error text, as a traceback is, is kept clipped and escaped, never refused for its length
            final Outcome traceback =
                    report(r3, "web", report(2, c2, false, "Traceback:\n" + "  File \"x.py\"\n".repeat(300)));
            assertEquals(Mqtt5PubAckReasonCode.SUCCESS, traceback.code);
            final String kept = row(drift("web"), "web-3").get("error").asText();
            assertTrue(kept.startsWith("Traceback:\\u000a") && kept.length() <= 515, kept);

            // only a service with a config has reports: the table grows with services, not with topics
            final Mqtt5BlockingClient reader = connect(broker, "ops");
            final Outcome noConfig = report(reader, "web-nothing", report(1, c1, true, null));
            reader.disconnect();
            assertEquals(
                    "not_found",
                    noConfig.result == null
                            ? null
                            : noConfig.result.at("/data/error/code").asText());

            // a client that never reported is of the service with the longest name its id fits
            try (Requester ops = new Requester(broker.port(), "ops")) {
                assertTrue(ops.send("set", "web-eu", "{\"config\": {\"a\": 1}}").accepted());
            }
            final Mqtt5BlockingClient eu = connect(broker, "web-eu-1");
            awaitState("web-eu", "web-eu-1", "unknown");
            assertFalse(states(drift("web")).containsKey("web-eu-1"), "web-eu-1 is of web-eu, not of web");
            eu.disconnect();

            // malformed: refused with a clear error on the result topic, the stored report untouched
            final Outcome bad = report(r1, "web", "{\"version\": \"two\", \"checksum\": \"" + c2 + "\", \"ok\": 1}");
            assertEquals(Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, bad.code);
            assertEquals("invalid_request", bad.result.at("/data/error/code").asText(), bad.result.toString());
            assertTrue(bad.result.at("/data/error/details").toString().contains("/version"));
            assertTrue(bad.result.at("/data/error/details").toString().contains("/ok"));
            final Outcome unknownField = report(
                    r1, "web", "{\"version\": 2, \"checksum\": \"" + c2 + "\", \"ok\": true, \"applied_by\": \"me\"}");
            assertEquals(
                    "invalid_request",
                    unknownField.result.at("/data/error/code").asText());
            // a client that may read every service still cannot report on what is not a service name
            final Mqtt5BlockingClient admin = connect(broker, "ops");
            final Outcome badName = report(admin, "Web!", report(2, c2, true, null));
            admin.disconnect();
            assertEquals(Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID, badName.code);
            assertEquals(Mqtt5PubAckReasonCode.NOT_AUTHORIZED, report(r1, "Web!", report(2, c2, true, null)).code);
            drift = drift("web");
            assertEquals(2, row(drift, "web-1").get("version").asLong());
            assertEquals("in_sync", states(drift).get("web-1"));

            // a client the read rules keep from the service: refused, nothing stored, no result planted there
            final Outcome unauthorized = report(spy, "web", report(2, c2, true, null));
            assertEquals(Mqtt5PubAckReasonCode.NOT_AUTHORIZED, unauthorized.code);
            assertNull(unauthorized.result, "a client that may not read the service gets no result there");
            assertFalse(states(drift("web")).containsKey("spy-1"));

            // a new version: the client that was in sync is behind until it reports again
            final String c3;
            try (Requester ops = new Requester(broker.port(), "ops")) {
                c3 = ops.send("set", "web", "{\"config\": {\"a\": 3}}")
                        .data()
                        .get("checksum")
                        .asText();
            }
            assertEquals("behind", states(drift("web")).get("web-1"));
            assertEquals(Mqtt5PubAckReasonCode.SUCCESS, report(r1, "web", report(3, c3, true, null)).code);
            assertEquals("in_sync", states(drift("web")).get("web-1"));

            assertTrue(seen.receive(2, TimeUnit.SECONDS).isEmpty(), "reports are never delivered to subscribers");
        } finally {
            for (final Mqtt5BlockingClient c : new Mqtt5BlockingClient[] {r1, r2, r3, r4, spy, watcher}) {
                c.disconnect();
            }
        }

        broker.restartOnSameHome();
        final JsonNode after = drift("web");
        assertEquals(3, row(after, "web-1").get("version").asLong());
        assertEquals(
                Map.of("web-1", "in_sync", "web-2", "behind", "web-3", "failed", "web-5", "failed"),
                states(after),
                "reports survive a restart (web-4 never reported and is offline now): " + after);
        assertFalse(row(after, "web-1").get("online").asBoolean());
        final Mqtt5BlockingClient back1 = connect(broker, "web-1");
        final Mqtt5BlockingClient back3 = connect(broker, "web-3");

        // per-service gauges on /metrics, counted every few seconds
        final Pattern inSync = Pattern.compile("configmanager_drift_clients_in_sync\\{service=\"web\",?} 1\\.0");
        // web-2 and web-5 are offline: listed, not counted
        final Pattern behind = Pattern.compile("configmanager_drift_clients_behind\\{service=\"web\",?} 0\\.0");
        final Pattern failedCount = Pattern.compile("configmanager_drift_clients_failed\\{service=\"web\",?} 1\\.0");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String metrics = "";
        while (System.nanoTime() < deadline) {
            metrics = http.send(request("/metrics").build(), HttpResponse.BodyHandlers.ofString())
                    .body();
            if (inSync.matcher(metrics).find()
                    && behind.matcher(metrics).find()
                    && failedCount.matcher(metrics).find()) {
                break;
            }
            Thread.sleep(500);
        }
        assertTrue(inSync.matcher(metrics).find(), metrics);
        assertTrue(behind.matcher(metrics).find(), metrics);
        assertTrue(failedCount.matcher(metrics).find(), metrics);
        // the services counted: a scrape reads it even before any service has gauges, and so asks for counts
        assertTrue(
                Pattern.compile("configmanager_drift_services [1-9]")
                        .matcher(metrics)
                        .find(),
                metrics);
        back1.disconnect();
        back3.disconnect();

        // a client forgotten for good takes its reports with it
        final HttpResponse<String> forgotten = forget("web-3");
        assertEquals(200, forgotten.statusCode(), forgotten.body());
        final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (states(drift("web")).containsKey("web-3") && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertEquals(Map.of("web-1", "in_sync", "web-2", "behind", "web-5", "failed"), states(drift("web")));

        // one whose health is gone already (a broker that lost its retained store) can still be forgotten
        broker.stop();
        broker.startFresh();
        final HttpResponse<String> reportsOnly = forget("web-5");
        assertEquals(200, reportsOnly.statusCode(), reportsOnly.body());
        assertEquals(Map.of("web-1", "in_sync", "web-2", "behind"), states(drift("web")));
    }

    private record Outcome(Mqtt5PubAckReasonCode code, JsonNode result) {}

    private static String report(final long version, final String checksum, final boolean ok, final String error) {
        final var body = Json.object();
        body.put("version", version);
        body.put("checksum", checksum);
        body.put("ok", ok);
        if (error != null) {
            body.put("error", error);
        }
        return body.toString();
    }

    /** Publishes a report and waits for its PUBACK, and for a result on config/result/<service> if one comes. */
    private static Outcome report(final Mqtt5BlockingClient client, final String service, final String payload)
            throws Exception {
        final String resultTopic = "config/result/" + service;
        try (Mqtt5BlockingClient.Mqtt5Publishes results = client.publishes(MqttGlobalPublishFilter.ALL)) {
            try {
                client.subscribeWith()
                        .topicFilter(resultTopic)
                        .qos(MqttQos.AT_LEAST_ONCE)
                        .send();
            } catch (final Mqtt5SubAckException e) {
                // not a topic of a service this client may read (or not a service at all): no result can reach it
            }
            final String correlation = UUID.randomUUID().toString();
            Mqtt5PubAckReasonCode code;
            try {
                final var sent = client.publishWith()
                        .topic("config/applied/" + service)
                        .qos(MqttQos.AT_LEAST_ONCE)
                        .correlationData(correlation.getBytes(StandardCharsets.UTF_8))
                        .payload(payload.getBytes(StandardCharsets.UTF_8))
                        .send();
                code = ((Mqtt5PublishResult.Mqtt5Qos1Result) sent).getPubAck().getReasonCode();
            } catch (final Mqtt5PubAckException e) {
                code = e.getMqttMessage().getReasonCode();
            }
            JsonNode result = null;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(code.isError() ? 5 : 1);
            while (result == null && System.nanoTime() < deadline) {
                final Optional<Mqtt5Publish> p = results.receive(200, TimeUnit.MILLISECONDS);
                if (p.isPresent()
                        && p.get()
                                .getCorrelationData()
                                .map(c -> StandardCharsets.UTF_8.decode(c).toString())
                                .filter(correlation::equals)
                                .isPresent()) {
                    result = Requester.parse(p.get().getPayloadAsBytes());
                }
            }
            client.unsubscribeWith().topicFilter(resultTopic).send();
            return new Outcome(code, result);
        }
    }

    private static Mqtt5BlockingClient connect(final TestBroker broker, final String id) {
        final Mqtt5BlockingClient c = Mqtt5Client.builder()
                .identifier(id)
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .buildBlocking();
        c.connect();
        return c;
    }

    private static Map<String, String> states(final JsonNode drift) {
        final Map<String, String> states = new HashMap<>();
        for (final JsonNode c : drift.get("clients")) {
            states.put(c.get("client_id").asText(), c.get("state").asText());
        }
        return states;
    }

    private static JsonNode row(final JsonNode drift, final String clientId) {
        for (final JsonNode c : drift.get("clients")) {
            if (c.get("client_id").asText().equals(clientId)) {
                return c;
            }
        }
        throw new AssertionError(clientId + " is not listed: " + drift);
    }

    private static JsonNode service(final JsonNode services, final String name) {
        for (final JsonNode s : services) {
            if (s.get("service").asText().equals(name)) {
                return s;
            }
        }
        throw new AssertionError(name + " is not listed: " + services);
    }

    private static void awaitState(final String service, final String clientId, final String state) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!state.equals(states(drift(service)).get(clientId)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(state, states(drift(service)).get(clientId), clientId + " of " + service);
    }

    /** What "forget" in the console does (admin). */
    private static HttpResponse<String> forget(final String clientId) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + CONSOLE + "/api/clients/" + clientId))
                        .header("Authorization", "Bearer " + ADMIN)
                        .DELETE()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode drift(final String service) throws Exception {
        return get("/api/services/" + service + "/drift");
    }

    private static JsonNode get(final String path) throws Exception {
        final HttpResponse<String> r = http.send(request(path).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return Json.parse(r.body());
    }

    private static HttpRequest.Builder request(final String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + CONSOLE + path))
                .header("Authorization", "Bearer " + READER);
    }
}
