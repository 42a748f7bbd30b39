package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import dev.configmanager.support.TestDatabase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.configmanager.console.ConsoleApiTest.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Secrets wherever a schema can put them (fields, array items and prefix items, additional and pattern properties,
 * behind a local $ref, in a combinator's branch, a whole sub-tree) are sealed in H2 and its journal and never appear
 * in any console response: config, history, every diff (deletions and rollbacks included), audit, validation, errors.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsoleSecretsTest {

    static final int PORT = TestBroker.freePort();
    static final String WRITE = "write-token-55d1";
    static final String ADMIN = "admin-token-8e02";

    @RegisterExtension
    static final BrokerExtension broker =
            BrokerExtension.withSettings("""
            <console><port>%d</port>
              <token><name>ops</name><role>write</role><sha256>%s</sha256></token>
              <token><name>root</name><role>admin</role><sha256>%s</sha256></token>
            </console>""".formatted(PORT, sha256(WRITE), sha256(ADMIN)));

    static final HttpClient http = HttpClient.newHttpClient();

    static final String SCHEMA = """
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
             "$defs": {"credential": {"type": "object", "properties": {
                 "user": {"type": "string"}, "password": {"type": "string", "writeOnly": true}}}},
             "properties": {
               "api_key": {"type": "string", "writeOnly": true},
               "upstreams": {"type": "array", "items": {"type": "object", "properties": {
                   "url": {"type": "string"}, "token": {"type": "string", "writeOnly": true}}}},
               "tokens": {"type": "array", "items": {"type": "string", "writeOnly": true}},
               "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string", "writeOnly": true}]},
               "login": {"$ref": "#/$defs/credential"},
               "extra": {"type": "object", "additionalProperties": {"type": "string", "writeOnly": true}},
               "by_pattern": {"type": "object", "properties": {"plain": {"type": "string"}},
                              "patternProperties": {"^secret_": {"writeOnly": true}}},
               "choice": {"anyOf": [{"type": "string", "writeOnly": true}, {"type": "integer"}]},
               "nested": {"type": "object", "properties": {"deep": {"type": "object", "writeOnly": true}}},
               "level": {"type": "integer", "maximum": 10}
             }}""";

    /** Every secret value written, in any version. */
    static final List<String> SECRETS = new ArrayList<>();

    static String config(final String tag, final int level) {
        final String[] s = new String[10];
        for (int i = 0; i < s.length; i++) {
            s[i] = "S3CRET-" + tag + "-" + i;
            if (!SECRETS.contains(s[i])) {
                SECRETS.add(s[i]);
            }
        }
        return """
                {"api_key": "%s",
                 "upstreams": [{"url": "https://a.example", "token": "%s"}, {"url": "https://b.example", "token": "%s"}],
                 "tokens": ["%s", "%s"], "pair": ["visible-name", "%s"],
                 "login": {"user": "visible-user", "password": "%s"},
                 "extra": {"one": "%s"}, "by_pattern": {"plain": "visible", "secret_x": "%s"},
                 "choice": "%s", "nested": {"deep": {"k": "S3CRET-%s-deep"}}, "level": %d}""".formatted(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], tag, level);
    }

    @BeforeAll
    static void writeVersions() throws Exception {
        SECRETS.add("S3CRET-v1-deep");
        SECRETS.add("S3CRET-v5-deep");
        assertEquals(
                200, send("PUT", "/api/schemas/vault-worker", ADMIN, SCHEMA).statusCode());
        assertEquals(
                200,
                send("PUT", "/api/services/vault-worker", WRITE, config("v1", 1))
                        .statusCode());
        assertEquals(
                200,
                send("PATCH", "/api/services/vault-worker", WRITE, "{\"level\": 2}")
                        .statusCode());
        assertEquals(
                200, send("DELETE", "/api/services/vault-worker", WRITE, null).statusCode());
        assertEquals(
                200,
                send("POST", "/api/services/vault-worker/rollback", WRITE, "{\"to_version\": 1}")
                        .statusCode());
        assertEquals(
                200,
                send("PUT", "/api/services/vault-worker", WRITE, config("v5", 3))
                        .statusCode());
    }

    @Test
    void noConsoleResponseShowsASecret() throws Exception {
        final List<HttpResponse<String>> responses = new ArrayList<>();
        for (final String path : List.of(
                "/api/services",
                "/api/services/vault-worker",
                "/api/services/vault-worker/history",
                "/api/audit",
                "/api/audit?service=vault-worker",
                "/api/status",
                "/api/clients",
                "/api/schemas/vault-worker")) {
            responses.add(send("GET", path, WRITE, null));
        }
        for (int from = 1; from <= 5; from++) {
            for (int to = 1; to <= 5; to++) {
                final var diff = send("GET", "/api/services/vault-worker/diff?from=" + from + "&to=" + to, WRITE, null);
                assertEquals(200, diff.statusCode(), diff.body());
                responses.add(diff);
            }
        }
        responses.add(send("POST", "/api/services/vault-worker/validate", WRITE, config("v1", 99)));
        responses.add(send("PUT", "/api/services/vault-worker", WRITE, config("v1", 99))); // schema violation
        responses.add(send("PUT", "/api/services/vault-worker", WRITE, "{\"api_key\": S3CRET-v1-0}")); // bad JSON
        for (final HttpResponse<String> r : responses) {
            for (final String secret : SECRETS) {
                assertFalse(r.body().contains(secret), r.uri() + " shows " + secret + ": " + r.body());
            }
        }
        final String deletedThenRestored = send("GET", "/api/services/vault-worker/diff?from=3&to=4", WRITE, null)
                .body();
        assertTrue(
                deletedThenRestored.contains("visible-user") && deletedThenRestored.contains("********"),
                "a diff against a deletion shows the config, masked: " + deletedThenRestored);
    }

    @Test
    void secretsAreSealedInTheDatabaseFileAndItsJournal() throws Exception {
        TestDatabase.assumeH2("about the H2 file and its journal");
        final Path database = Path.of(broker.broker().database + ".mv.db");
        final Path journal = Path.of(broker.broker().database + ".journal");
        for (final Path file : List.of(database, journal)) {
            final String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            for (final String secret : SECRETS) {
                assertFalse(bytes.contains(secret), file.getFileName() + " holds " + secret + " in clear");
            }
        }
        assertTrue(
                new String(Files.readAllBytes(database), StandardCharsets.ISO_8859_1).contains("visible-user")
                        || new String(Files.readAllBytes(journal), StandardCharsets.ISO_8859_1)
                                .contains("visible-user"),
                "ordinary values are readable at rest");
    }

    @Test
    void servicesGetEverySecretInClearAndAMaskedConfigSavedBackKeepsThem() throws Exception {
        final HttpResponse<String> get = send("GET", "/api/services/vault-worker", WRITE, null);
        final JsonNode masked = dev.configmanager.support.Requester.parse(
                        get.body().getBytes(StandardCharsets.UTF_8))
                .get("config");
        assertEquals("********", masked.get("upstreams").get(1).get("token").asText());
        assertEquals(
                "https://b.example", masked.get("upstreams").get(1).get("url").asText());
        // saved back as shown, with one ordinary change: every secret is kept, none becomes the mask
        ((com.fasterxml.jackson.databind.node.ObjectNode) masked).put("level", 4);
        assertEquals(
                200,
                send("PUT", "/api/services/vault-worker", WRITE, masked.toString())
                        .statusCode());
        final JsonNode delivered = RetainedReader.receiveJson(broker.port(), "config/updated/vault-worker")
                .get("config");
        assertEquals(4, delivered.get("level").asInt());
        assertEquals("S3CRET-v5-0", delivered.get("api_key").asText());
        assertEquals(
                "S3CRET-v5-2", delivered.get("upstreams").get(1).get("token").asText());
        assertEquals("S3CRET-v5-4", delivered.get("tokens").get(1).asText());
        assertEquals("S3CRET-v5-5", delivered.get("pair").get(1).asText());
        assertEquals("S3CRET-v5-6", delivered.get("login").get("password").asText());
        assertEquals("S3CRET-v5-7", delivered.get("extra").get("one").asText());
        assertEquals("S3CRET-v5-8", delivered.get("by_pattern").get("secret_x").asText());
        assertEquals("S3CRET-v5-9", delivered.get("choice").asText());
        assertEquals(
                "S3CRET-v5-deep", delivered.get("nested").get("deep").get("k").asText());
        assertFalse(delivered.toString().contains("********"), delivered.toString());
    }

    static HttpResponse<String> send(final String method, final String path, final String token, final String body)
            throws Exception {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + token);
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
