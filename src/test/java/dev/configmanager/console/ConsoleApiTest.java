package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The console's HTTP API on the real broker: the same pipeline as MQTT, auth, CSRF, If-Match, masking. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsoleApiTest {

    static final int PORT = TestBroker.freePort();
    static final String READ_TOKEN = "read-token-5d8c1e";
    static final String WRITE_TOKEN = "write-token-9a72f4";
    static final String ADMIN_TOKEN = "admin-token-3b61aa";

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withSettings(
            """
            <console><port>%d</port>
              <token><name>viewer</name><role>read</role><sha256>%s</sha256></token>
              <token><name>ops</name><role>write</role><sha256>%s</sha256></token>
              <token><name>root</name><role>admin</role><sha256>%s</sha256></token>
            </console>""".formatted(PORT, sha256(READ_TOKEN), sha256(WRITE_TOKEN), sha256(ADMIN_TOKEN)));

    static final HttpClient http = HttpClient.newHttpClient();

    /** A response: status and JSON body. */
    record Reply(int status, JsonNode body, HttpResponse<String> raw) {
        String errorCode() {
            return body.path("error").path("code").asText(null);
        }
    }

    @Test
    void writeThroughTheApiIsStoredPublishedOnMqttAndAudited() throws Exception {
        final Reply put = send("PUT", "/api/services/router", WRITE_TOKEN, "{\"router_stream_min_chars\": 25}", "0");
        assertEquals(200, put.status(), put.body().toString());
        assertEquals(1, put.body().get("version").asLong());
        assertEquals("\"1\"", put.raw().headers().firstValue("ETag").orElseThrow());
        final var updated = RetainedReader.receive(broker.port(), "config/updated/router");
        assertEquals(
                25,
                Requester.parse(updated.getPayloadAsBytes())
                        .get("config")
                        .get("router_stream_min_chars")
                        .asInt());
        assertTrue(updated.getUserProperties().asList().stream()
                .anyMatch(p -> p.getName().toString().equals("updated-by")
                        && p.getValue().toString().equals("http:ops")));
        final Reply audit = send("GET", "/api/audit?service=router&outcome=accepted", READ_TOKEN, null, null);
        assertEquals("http:ops", audit.body().get(0).get("requester").asText());
        assertEquals("http", audit.body().get(0).get("origin").asText());
    }

    @Test
    void requestIdsFollowTheSameSyntaxAsOverMqttAndABadOneStoresNothing() throws Exception {
        for (final String bad : List.of("r".repeat(200), "has space", "a\\b", "a#b", "a;b")) {
            final HttpRequest request = HttpRequest.newBuilder(uri("/api/services/svc-rid"))
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"a\": 1}"))
                    .header("Authorization", "Bearer " + WRITE_TOKEN)
                    .header("Content-Type", "application/json")
                    .header("X-Request-Id", bad)
                    .build();
            final HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(400, response.statusCode(), bad + ": " + response.body());
            assertEquals(
                    "invalid_request",
                    Requester.parse(response.body().getBytes(StandardCharsets.UTF_8))
                            .path("error")
                            .path("code")
                            .asText());
            try (Requester mqtt = new Requester(broker.port(), "rid-neighbour")) {
                assertTrue(
                        mqtt.send("set", "svc-rid-neighbour", "{\"config\": {\"at\": " + System.nanoTime() + "}}")
                                .accepted(),
                        "a write right after it is stored");
            }
        }
        assertEquals(
                404,
                send("GET", "/api/services/svc-rid", READ_TOKEN, null, null).status());
        final HttpResponse<String> good = http.send(
                HttpRequest.newBuilder(uri("/api/services/svc-rid"))
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"a\": 1}"))
                        .header("Authorization", "Bearer " + WRITE_TOKEN)
                        .header("Content-Type", "application/json")
                        .header("X-Request-Id", "console:7f3a/1+b=")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, good.statusCode(), good.body());
        assertEquals(
                "console:7f3a/1+b=",
                RetainedReader.receive(broker.port(), "config/updated/svc-rid").getUserProperties().asList().stream()
                        .filter(p -> p.getName().toString().equals("request-id"))
                        .findFirst()
                        .orElseThrow()
                        .getValue()
                        .toString());
    }

    @Test
    void onlyHostNamesTheConsoleServesAreAnsweredAgainstDnsRebinding() throws Exception {
        // what a page on a rebinding domain sends: its own name in Host, its own origin in Origin
        assertEquals(421, rawStatus("GET", "/api/services", "evil.example:" + PORT, null));
        assertEquals(421, rawStatus("GET", "/", "evil.example", null));
        assertEquals(
                421,
                rawStatus("PUT", "/api/services/svc-rebind", "evil.example:" + PORT, "http://evil.example:" + PORT));
        assertEquals(200, rawStatus("GET", "/api/status", "127.0.0.1:" + PORT, null));
        assertEquals(200, rawStatus("GET", "/api/status", "localhost:" + PORT, null));
        assertEquals(200, rawStatus("GET", "/", "[::1]:" + PORT, null));
        // a write from the console's own page passes the Origin check; one naming another port does not
        assertEquals(
                403,
                rawStatus("PUT", "/api/services/svc-rebind", "127.0.0.1:" + PORT, "http://127.0.0.1:" + (PORT + 1)));
        assertEquals(
                200, rawStatus("PUT", "/api/services/svc-rebind", "127.0.0.1:" + PORT, "http://localhost:" + PORT));
    }

    /** One HTTP/1.1 request over a plain socket (the JDK client will not set Host), with the write token. */
    private static int rawStatus(final String method, final String path, final String host, final String origin)
            throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", PORT)) {
            socket.setSoTimeout(10_000);
            final String body = method.equals("PUT") ? "{\"a\": 1}" : "";
            final String request = method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
                    + "Authorization: Bearer " + WRITE_TOKEN + "\r\n"
                    + (origin == null ? "" : "Origin: " + origin + "\r\n")
                    + (body.isEmpty() ? "" : "Content-Type: application/json\r\n")
                    + "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body;
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            final String status = new java.io.BufferedReader(
                            new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    @Test
    void aConfigShownWithAMaskedSecretValidatesAsWhatWouldBeStored() throws Exception {
        // the mask itself (8 characters) would fail the schema's minLength of 10; the stored key does not
        assertEquals(
                200,
                send(
                                "PUT",
                                "/api/services/llm-worker",
                                WRITE_TOKEN,
                                "{\"openai_api_key\": \"sk-0123456789\", \"rag_enabled\": true}",
                                null)
                        .status());
        final JsonNode shown = send("GET", "/api/services/llm-worker", READ_TOKEN, null, null)
                .body()
                .get("config");
        assertEquals("********", shown.get("openai_api_key").asText());
        final Reply dryRun = send("POST", "/api/services/llm-worker/validate", READ_TOKEN, shown.toString(), null);
        assertTrue(dryRun.body().get("valid").asBoolean(), dryRun.body().toString());
        final Reply tooShort =
                send("POST", "/api/services/llm-worker/validate", READ_TOKEN, "{\"openai_api_key\": \"short\"}", null);
        assertFalse(tooShort.body().get("valid").asBoolean(), "a new key is still checked");
    }

    @Test
    void changeMadeOverMqttAppearsInTheApi() throws Exception {
        try (Requester mqtt = new Requester(broker.port(), "mqtt-admin")) {
            assertTrue(mqtt.send("set", "svc-mqtt", "{\"config\": {\"a\": 1}}").accepted());
        }
        final Reply get = send("GET", "/api/services/svc-mqtt", READ_TOKEN, null, null);
        assertEquals(200, get.status());
        assertEquals(1, get.body().get("config").get("a").asInt());
        assertEquals("mqtt:mqtt-admin", get.body().get("updated_by").asText());
        assertEquals("\"1\"", get.raw().headers().firstValue("ETag").orElseThrow());
        assertTrue(send("GET", "/api/services", READ_TOKEN, null, null)
                .body()
                .toString()
                .contains("svc-mqtt"));
    }

    @Test
    void staleIfMatchIsAConflictWithTheCurrentVersion() throws Exception {
        send("PUT", "/api/services/svc-conflict", WRITE_TOKEN, "{\"a\": 1}", null);
        send("PUT", "/api/services/svc-conflict", WRITE_TOKEN, "{\"a\": 2}", null);
        final Reply stale = send("PUT", "/api/services/svc-conflict", WRITE_TOKEN, "{\"a\": 3}", "\"1\"");
        assertEquals(409, stale.status());
        assertEquals("version_conflict", stale.errorCode());
        assertEquals(2, stale.body().get("current_version").asLong());
    }

    @Test
    void patchDeleteRollbackHistoryAndDiff() throws Exception {
        send("PUT", "/api/services/svc-life", WRITE_TOKEN, "{\"a\": 1, \"b\": {\"c\": true}}", "0");
        assertEquals(
                2,
                send("PATCH", "/api/services/svc-life", WRITE_TOKEN, "{\"a\": null, \"d\": 4}", "1")
                        .body()
                        .get("version")
                        .asLong());
        final Reply diff = send("GET", "/api/services/svc-life/diff?from=1&to=2", READ_TOKEN, null, null);
        assertEquals(
                "[{\"path\":\"/a\",\"op\":\"removed\",\"from\":1},{\"path\":\"/d\",\"op\":\"added\",\"to\":4}]",
                diff.body().get("changes").toString());
        assertEquals(
                3,
                send("POST", "/api/services/svc-life/rollback", WRITE_TOKEN, "{\"to_version\": 1}", null)
                        .body()
                        .get("version")
                        .asLong());
        assertEquals(
                1,
                send("GET", "/api/services/svc-life", READ_TOKEN, null, null)
                        .body()
                        .get("config")
                        .get("a")
                        .asInt());
        assertEquals(
                200,
                send("DELETE", "/api/services/svc-life", WRITE_TOKEN, null, "3").status());
        assertEquals(
                404,
                send("GET", "/api/services/svc-life", READ_TOKEN, null, null).status());
        final Reply history = send("GET", "/api/services/svc-life/history", READ_TOKEN, null, null);
        assertEquals(4, history.body().size());
        assertEquals("delete", history.body().get(0).get("change").asText());
        assertTrue(RetainedReader.stored("config/updated/svc-life").isEmpty());
    }

    @Test
    void authIsRequiredAndRolesAreEnforced() throws Exception {
        assertEquals(401, send("GET", "/api/services", null, null, null).status());
        assertEquals(
                401, send("GET", "/api/services", "wrong-token", null, null).status());
        final Reply readerWrites = send("PUT", "/api/services/svc-auth", READ_TOKEN, "{\"a\": 1}", null);
        assertEquals(403, readerWrites.status());
        assertEquals("not_authorized", readerWrites.errorCode());
        assertEquals(200, send("GET", "/api/status", READ_TOKEN, null, null).status());
        assertEquals(
                404,
                send("GET", "/api/services/svc-auth", READ_TOKEN, null, null).status(),
                "nothing stored");
    }

    @Test
    void crossSiteAndNonJsonWritesAreRefused() throws Exception {
        final HttpResponse<String> csrf = http.send(
                HttpRequest.newBuilder(uri("/api/services/svc-csrf"))
                        .header("Authorization", "Bearer " + WRITE_TOKEN)
                        .header("Content-Type", "application/json")
                        .header("Origin", "http://evil.example")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"a\": 1}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, csrf.statusCode());
        assertTrue(csrf.body().contains("\"csrf\""));
        final HttpResponse<String> form = http.send(
                HttpRequest.newBuilder(uri("/api/services/svc-csrf"))
                        .header("Authorization", "Bearer " + WRITE_TOKEN)
                        .header("Content-Type", "text/plain")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"a\": 1}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(415, form.statusCode());
        assertEquals(
                404,
                send("GET", "/api/services/svc-csrf", READ_TOKEN, null, null).status(),
                "nothing stored");
    }

    @Test
    void badInputGetsTheRightStatusAndCode() throws Exception {
        final Reply schema = send("PUT", "/api/services/stt-worker", WRITE_TOKEN, "{\"vad_threshold\": 5}", null);
        assertEquals(422, schema.status());
        assertEquals("schema_violation", schema.errorCode());
        assertEquals(
                "/vad_threshold",
                schema.body().get("error").get("details").get(0).get("path").asText());
        assertEquals(
                400,
                send("PUT", "/api/services/svc-bad", WRITE_TOKEN, "{not json", null)
                        .status());
        assertEquals(
                413,
                send("PUT", "/api/services/svc-bad", WRITE_TOKEN, "{\"v\": \"" + "x".repeat(300 * 1024) + "\"}", null)
                        .status());
        assertEquals(
                400,
                send("GET", "/api/services/Not_Valid", READ_TOKEN, null, null).status());
        assertEquals(
                404, send("GET", "/api/nothing-here", READ_TOKEN, null, null).status());
        assertEquals(
                400,
                send("PUT", "/api/services/svc-bad", WRITE_TOKEN, "{\"a\": 1}", "abc")
                        .status());
        assertEquals(
                404,
                send("GET", "/api/services/svc-bad", READ_TOKEN, null, null).status(),
                "nothing stored");
    }

    @Test
    void dryRunValidatesWithoutStoring() throws Exception {
        final Reply invalid =
                send("POST", "/api/services/tts-worker/validate", READ_TOKEN, "{\"volume_percent\": 500}", null);
        assertFalse(invalid.body().get("valid").asBoolean());
        assertEquals(
                "/volume_percent",
                invalid.body().get("error").get("details").get(0).get("path").asText());
        assertTrue(send("POST", "/api/services/tts-worker/validate", READ_TOKEN, "{\"volume_percent\": 50}", null)
                .body()
                .get("valid")
                .asBoolean());
        assertEquals(
                404,
                send("GET", "/api/services/tts-worker", READ_TOKEN, null, null).status());
    }

    @Test
    void secretsAreMaskedInConfigHistoryAndDiff() throws Exception {
        send("PUT", "/api/services/llm-worker", WRITE_TOKEN, "{\"openai_api_key\": \"sk-one-0123456789\"}", null);
        send("PUT", "/api/services/llm-worker", WRITE_TOKEN, "{\"openai_api_key\": \"sk-two-0123456789\"}", null);
        final String all = send("GET", "/api/services/llm-worker", READ_TOKEN, null, null)
                        .body()
                        .toString()
                + send("GET", "/api/services/llm-worker/history", READ_TOKEN, null, null)
                        .body()
                + send("GET", "/api/services/llm-worker/diff?from=1&to=2", READ_TOKEN, null, null)
                        .body();
        assertFalse(all.contains("sk-one") || all.contains("sk-two"), all);
        assertTrue(all.contains("********"));
        assertTrue(all.contains("\"op\":\"changed\""), "a changed secret still shows as changed");
    }

    @Test
    void savingTheMaskedSecretBackKeepsTheStoredSecret() throws Exception {
        send(
                "PUT",
                "/api/services/tts-worker",
                WRITE_TOKEN,
                "{\"eleven_api_key\": \"el-key-77\", \"volume_percent\": 50}",
                null);
        final JsonNode shown = send("GET", "/api/services/tts-worker", READ_TOKEN, null, null)
                .body()
                .get("config");
        assertEquals("********", shown.get("eleven_api_key").asText());
        ((com.fasterxml.jackson.databind.node.ObjectNode) shown).put("volume_percent", 60);
        assertEquals(
                200,
                send("PUT", "/api/services/tts-worker", WRITE_TOKEN, shown.toString(), null)
                        .status());
        final JsonNode updated = RetainedReader.receiveJson(broker.port(), "config/updated/tts-worker");
        assertEquals("el-key-77", updated.get("config").get("eleven_api_key").asText());
        assertEquals(60, updated.get("config").get("volume_percent").asInt());
    }

    @Test
    void adminReplacesASchemaWhichIsCheckedStoredAndEnforced() throws Exception {
        final String schema =
                "{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\", " + "\"maximum\": 3}}}";
        assertEquals(
                403,
                send("PUT", "/api/schemas/svc-schema", WRITE_TOKEN, schema, null)
                        .status(),
                "admin only");
        final Reply invalid = send("PUT", "/api/schemas/svc-schema", ADMIN_TOKEN, "{\"type\": 5}", null);
        assertEquals(422, invalid.status());
        assertEquals("schema_violation", invalid.errorCode());
        assertEquals(
                200,
                send("PUT", "/api/schemas/svc-schema", ADMIN_TOKEN, schema, null)
                        .status());
        assertEquals(
                3,
                send("GET", "/api/schemas/svc-schema", READ_TOKEN, null, null)
                        .body()
                        .get("properties")
                        .get("n")
                        .get("maximum")
                        .asInt());
        assertEquals(
                422,
                send("PUT", "/api/services/svc-schema", WRITE_TOKEN, "{\"n\": 5}", null)
                        .status());
        try (Requester mqtt = new Requester(broker.port(), "schema-mqtt")) {
            assertEquals(
                    "schema_violation",
                    mqtt.send("set", "svc-schema", "{\"config\": {\"n\": 7}}").errorCode(),
                    "MQTT requests meet the new schema too");
        }
        assertEquals(
                200,
                send("PUT", "/api/services/svc-schema", WRITE_TOKEN, "{\"n\": 2}", null)
                        .status());
        try (var db = broker.openDatabase();
                var rs = db.createStatement()
                        .executeQuery("SELECT updated_by FROM cm_schema WHERE service = 'svc-schema'")) {
            assertTrue(rs.next());
            assertEquals("http:root", rs.getString(1));
        }
    }

    @Test
    void clientsAndStatusShowTheFleet() throws Exception {
        try (Requester online = new Requester(broker.port(), "svc-online")) {
            RetainedReader.await(
                    "system/health/svc-online", h -> h.path("data").path("ok").asBoolean());
            final Reply clients = send("GET", "/api/clients", READ_TOKEN, null, null);
            assertTrue(
                    clients.body().toString().contains("{\"client_id\":\"svc-online\",\"online\":true"),
                    clients.body().toString());
            send("PUT", "/api/services/svc-online", WRITE_TOKEN, "{}", null);
            final JsonNode service = java.util.stream.StreamSupport.stream(
                            send("GET", "/api/services", READ_TOKEN, null, null)
                                    .body()
                                    .spliterator(),
                            false)
                    .filter(n -> n.get("service").asText().equals("svc-online"))
                    .findFirst()
                    .orElseThrow();
            assertEquals(1, service.get("clients_online").asInt());
            assertEquals(0, service.get("clients_offline").asInt());
        }
        final Reply status = send("GET", "/api/status", READ_TOKEN, null, null);
        assertTrue(status.body().get("store_ok").asBoolean());
        assertEquals(36, status.body().get("config_epoch").asText().length());
        assertEquals(
                200, send("GET", "/api/schemas/router", READ_TOKEN, null, null).status());
    }

    static Reply send(
            final String method, final String path, final String token, final String body, final String ifMatch)
            throws Exception {
        final HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (ifMatch != null) {
            b.header("If-Match", ifMatch);
        }
        final HttpResponse<String> response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(
                response.statusCode(), Requester.parse(response.body().getBytes(StandardCharsets.UTF_8)), response);
    }

    static URI uri(final String path) {
        return URI.create("http://127.0.0.1:" + PORT + path);
    }

    static String sha256(final String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
