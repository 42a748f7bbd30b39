package dev.configmanager.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import dev.configmanager.support.TestDatabase;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Moving a whole store between brokers through the console: an export imported into a fresh broker serves the same
 * versions, checksums, epoch and retained topics; a wrong import keeps nothing; a backup of the embedded database,
 * restored as the README says, brings back the store as it was at the backup.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StoreTransferApiTest {

    private static final String ADMIN = "admin-token-transfer-5d2c";
    private static final String WRITER = "write-token-transfer-81ae";
    private static final String SECRETS_KEY = newKey();
    private static final String SCHEMA = """
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
             "properties": {"api_key": {"type": "string", "writeOnly": true}, "rate": {"type": "number"}}}""";

    private static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static String newKey() {
        final byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** A broker with its own store, console on {@code console}, and the secrets key given. */
    private TestBroker broker(final String name, final int console, final String secretsKey) throws Exception {
        return TestBroker.start(dir.resolve(name), """
                <secrets><key>%s</key></secrets>
                <console><port>%d</port>
                  <token><name>root</name><role>admin</role><sha256>%s</sha256></token>
                  <token><name>ops</name><role>write</role><sha256>%s</sha256></token>
                </console>""".formatted(
                        secretsKey, console, CanonicalJson.sha256Hex(ADMIN), CanonicalJson.sha256Hex(WRITER)));
    }

    private static HttpResponse<String> call(
            final int console, final String method, final String path, final String token, final String body)
            throws Exception {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + console + path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(final HttpResponse<String> response) throws Exception {
        return Json.parse(response.body());
    }

    /** Writes through MQTT: a service with a secret, a patched one, a deleted one. */
    private static void fill(final TestBroker broker, final int console) throws Exception {
        assertEquals(
                200, call(console, "PUT", "/api/schemas/billing", ADMIN, SCHEMA).statusCode());
        try (Requester r = new Requester(broker.port(), "filler")) {
            assertTrue(r.send("set", "billing", "{\"config\": {\"api_key\": \"sk-live-0042\", \"rate\": 1.5}}")
                    .accepted());
            assertTrue(r.send("patch", "billing", "{\"patch\": {\"rate\": 0.00001}}")
                    .accepted());
            // a key that reads like a sealed secret but is a plain value: carried over as it is
            assertTrue(
                    r.send("set", "web", "{\"config\": {\"port\": 8080, \"name\": \"ü €\", \"odd\": {\"$sealed\": 7}}}")
                            .accepted());
            assertTrue(r.send("set", "old", "{\"config\": {\"x\": 1}}").accepted());
            assertTrue(r.send("delete", "old", "{}").accepted());
        }
    }

    /** What a late subscriber gets on {@code config/updated/<service>}, without the time it was published. */
    private static JsonNode retained(final TestBroker broker, final String service) throws Exception {
        final ObjectNode message = (ObjectNode) RetainedReader.receiveJson(broker.port(), "config/updated/" + service);
        message.remove(List.of("issued_at", "timestamp", "signature"));
        return message;
    }

    @Test
    void anExportImportedIntoAFreshBrokerServesTheSameVersionsChecksumsEpochAndRetainedTopics() throws Exception {
        final int consoleA = TestBroker.freePort();
        final int consoleB = TestBroker.freePort();
        try (TestBroker a = broker("a", consoleA, SECRETS_KEY);
                TestBroker b = broker("b", consoleB, SECRETS_KEY)) {
            fill(a, consoleA);

            assertEquals(403, call(consoleA, "GET", "/api/export", WRITER, null).statusCode(), "admins only");
            final HttpResponse<String> exported = call(consoleA, "GET", "/api/export?audit=true", ADMIN, null);
            assertEquals(200, exported.statusCode(), exported.body());
            assertTrue(exported.headers()
                    .firstValue("Content-Disposition")
                    .orElse("")
                    .contains("attachment"));
            final JsonNode document = json(exported);
            assertEquals("config-manager-export", document.path("format").asText());
            assertEquals(5, document.path("versions").size(), "every version, deletions included");
            assertEquals(1, document.path("schemas").size());
            assertTrue(document.path("audit").size() >= 5, "the audit log was asked for");
            assertFalse(exported.body().contains("sk-live-0042"), "secrets stay sealed in an export");
            assertTrue(exported.body().contains("$sealed"));
            assertEquals(16, document.path("secrets_key_id").asText().length());

            final HttpResponse<String> imported = call(consoleB, "POST", "/api/import", ADMIN, exported.body());
            assertEquals(200, imported.statusCode(), imported.body());
            assertEquals(5, json(imported).path("imported_versions").asLong());

            assertEquals(
                    json(call(consoleA, "GET", "/api/status", ADMIN, null)).path("config_epoch"),
                    json(call(consoleB, "GET", "/api/status", ADMIN, null)).path("config_epoch"),
                    "the epoch comes along, so services see the same store");
            for (final String service : List.of("billing", "web", "old")) {
                assertEquals(
                        json(call(consoleA, "GET", "/api/services/" + service + "/history", ADMIN, null)),
                        json(call(consoleB, "GET", "/api/services/" + service + "/history", ADMIN, null)),
                        service + ": the same versions and checksums");
            }
            for (final String service : List.of("billing", "web")) {
                final JsonNode onB = retained(b, service);
                assertEquals(retained(a, service), onB, service + ": the same retained config/updated");
                assertEquals(
                        CanonicalJson.sha256Hex(CanonicalJson.write(onB.path("config"))),
                        onB.path("checksum").asText());
            }
            assertEquals(
                    "sk-live-0042",
                    retained(b, "billing").path("config").path("api_key").asText());
            assertEquals(
                    json(call(consoleA, "GET", "/api/schemas/billing", ADMIN, null)),
                    json(call(consoleB, "GET", "/api/schemas/billing", ADMIN, null)),
                    "the schema set through the console comes along, and is in force");

            final HttpResponse<String> again = call(consoleB, "POST", "/api/import", ADMIN, exported.body());
            assertEquals(409, again.statusCode());
            assertEquals(
                    "store_not_empty", json(again).path("error").path("code").asText());

            try (Requester r = new Requester(b.port(), "after-import")) {
                final Requester.Reply next = r.send("patch", "billing", "{\"patch\": {\"rate\": 2}}");
                assertTrue(next.accepted(), next.envelope().toString());
                assertEquals(3, next.version(), "numbering goes on from the imported versions");
                assertEquals(2, r.send("set", "old", "{\"config\": {\"x\": 2}}").version() - 1, "after its deletion");
            }
        }
    }

    @Test
    void aWrongImportIsRefusedWithItsReasonAndKeepsNothing() throws Exception {
        final int consoleA = TestBroker.freePort();
        final int consoleB = TestBroker.freePort();
        final int consoleC = TestBroker.freePort();
        try (TestBroker a = broker("a", consoleA, SECRETS_KEY);
                TestBroker b = broker("b", consoleB, SECRETS_KEY);
                TestBroker c = broker("c", consoleC, newKey())) {
            fill(a, consoleA);
            final String export =
                    call(consoleA, "GET", "/api/export", ADMIN, null).body();
            final ObjectNode document = (ObjectNode) Json.parse(export);

            final ObjectNode tampered = document.deepCopy();
            ((ObjectNode) tampered.path("versions").get(4)).put("checksum", "0".repeat(64));
            assertRefused(consoleB, tampered.toString(), 400, "invalid_import", "web v1: the checksum");

            final ObjectNode cut = document.deepCopy();
            ((ArrayNode) cut.path("versions")).remove(0);
            assertRefused(consoleB, cut.toString(), 400, "invalid_import", "billing v2 follows v0");

            final ObjectNode unknown = document.deepCopy();
            ((ObjectNode) unknown.path("versions").get(0)).put("owner", "x");
            assertRefused(consoleB, unknown.toString(), 400, "invalid_import", "versions[0]: unknown field \"owner\"");

            assertRefused(consoleB, export.substring(0, export.length() / 2), 400, "invalid_import", "not valid JSON");
            assertRefused(consoleB, "[]", 400, "invalid_import", "not a JSON object");
            assertRefused(
                    consoleB,
                    export.substring(0, export.lastIndexOf(']') + 1),
                    400,
                    "invalid_import",
                    "not valid JSON");

            final ObjectNode farFuture = document.deepCopy();
            ((ObjectNode) farFuture.path("versions").get(0)).put("updated_at", "+300000000-01-01T00:00:00Z");
            assertRefused(consoleB, farFuture.toString(), 400, "invalid_import", "between 1970 and 9999");

            final ObjectNode twice = document.deepCopy();
            ((ArrayNode) twice.path("schemas")).add(twice.path("schemas").get(0).deepCopy());
            assertRefused(consoleB, twice.toString(), 400, "invalid_import", "a second schema for billing");

            // one row as large as the whole of a small heap, refused before it is read into memory
            final StringBuilder huge = new StringBuilder(
                    "{\"format\": \"config-manager-export\", \"versions\": " + "[{\"service\": \"web\", \"config\": [");
            huge.append("{},".repeat(3_000_000)).append("{}]}]}");
            assertRefused(consoleB, huge.toString(), 400, "invalid_import", "versions[0] is larger than");
            assertEquals(
                    403, call(consoleB, "POST", "/api/import", WRITER, export).statusCode(), "admins only");
            assertNothingKept(consoleB);

            assertRefused(consoleC, export, 409, "secrets_key_mismatch", "Install the exporting broker's secrets key");
            assertNothingKept(consoleC);

            assertEquals(
                    200, call(consoleB, "POST", "/api/import", ADMIN, export).statusCode(), "the right one is taken");
        }
    }

    private static void assertNothingKept(final int console) throws Exception {
        assertEquals(0, json(call(console, "GET", "/api/services", ADMIN, null)).size(), "no version was kept");
        assertEquals(
                404, call(console, "GET", "/api/schemas/billing", ADMIN, null).statusCode(), "no schema either");
    }

    private static void assertRefused(
            final int console, final String body, final int status, final String code, final String says)
            throws Exception {
        final HttpResponse<String> response = call(console, "POST", "/api/import", ADMIN, body);
        assertEquals(status, response.statusCode(), response.body());
        final JsonNode error = json(response).path("error");
        assertEquals(code, error.path("code").asText(), response.body());
        assertTrue(error.path("message").asText().contains(says), response.body());
    }

    /** A store that cannot be read answers an export with an error, never a 200 with an empty or cut document. */
    @Test
    void anExportOfAStoreThatCannotBeReadIsAnErrorNotAnEmptyDocument() throws Exception {
        final int console = TestBroker.freePort();
        try (TestBroker broken = broker("broken", console, "not-a-base64-key")) {
            final HttpResponse<String> response = call(console, "GET", "/api/export", ADMIN, null);
            assertEquals(503, response.statusCode(), response.body());
            assertEquals(
                    "store_unavailable",
                    json(response).path("error").path("code").asText());
            assertTrue(response.headers().firstValue("Content-Disposition").isEmpty(), "not offered as a file");
            assertEquals(503, call(console, "POST", "/api/import", ADMIN, "{}").statusCode());
        }
    }

    @Test
    void aBackupRestoredAsTheReadmeSaysBringsBackTheStoreAsItWas() throws Exception {
        final int console = TestBroker.freePort();
        try (TestBroker a = broker("a", console, SECRETS_KEY)) {
            fill(a, console);
            final HttpResponse<String> response = call(console, "POST", "/api/backup", ADMIN, null);
            if (TestDatabase.postgresql()) {
                assertEquals(409, response.statusCode(), response.body());
                assertEquals(
                        "not_supported",
                        json(response).path("error").path("code").asText());
                return;
            }
            assertEquals(200, response.statusCode(), response.body());
            final Path backup = Path.of(json(response).path("file").asText());
            assertTrue(backup.startsWith(a.database.getParent().resolve("backups")), backup.toString());
            assertEquals(Files.size(backup), json(response).path("bytes").asLong());

            try (Requester r = new Requester(a.port(), "after-backup")) {
                assertEquals(
                        3,
                        r.send("set", "billing", "{\"config\": {\"rate\": 9}}").version());
            }
            a.stop();
            // the README's steps: remove the database and its journal, unpack the backup in their folder, start
            final Path folder = a.database.getParent();
            Files.delete(Path.of(a.database + ".mv.db"));
            Files.deleteIfExists(Path.of(a.database + ".journal"));
            unzip(backup, folder);
            a.startFresh();

            try (Requester r = new Requester(a.port(), "after-restore")) {
                assertEquals(
                        3,
                        r.send("patch", "billing", "{\"patch\": {\"rate\": 3}}").version(),
                        "version 3 was written after the backup: it is gone, and taken again");
            }
            assertEquals(
                    "sk-live-0042",
                    retained(a, "billing").path("config").path("api_key").asText());
        }
    }

    private static void unzip(final Path zip, final Path into) throws Exception {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                final Path target = into.resolve(e.getName()).normalize();
                assertTrue(target.startsWith(into), e.getName());
                Files.copy((InputStream) in, target);
            }
        }
        assertTrue(Files.exists(into.resolve("config-manager.mv.db")), "the backup holds the database file");
    }
}
