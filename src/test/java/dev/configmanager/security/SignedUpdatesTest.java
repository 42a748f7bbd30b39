package dev.configmanager.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With {@code <signing>} on, every {@code config/updated} carries an Ed25519 signature that a subscriber checks with
 * the public key the console serves, using only the JDK's verifier and the message the py-tars verifier rebuilds.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SignedUpdatesTest {

    private static final int CONSOLE = TestBroker.freePort();
    private static final String CONSOLE_SETTINGS = "<console><port>" + CONSOLE + "</port></console>";

    @RegisterExtension
    static final BrokerExtension fixture = BrokerExtension.manual();

    @Test
    void everyUpdateVerifiesWithTheServedKeyForSetPatchRollbackAndAfterARestart() throws Exception {
        final TestBroker broker = fixture.start(dir ->
                TestBroker.startPersistent(dir, "<signing><generate>true</generate></signing>" + CONSOLE_SETTINGS));
        final String pem = servedKey();
        final PublicKey key = publicKey(pem);
        assertEquals(pem, Files.readString(broker.dataFolder().resolve("config-manager/signing-public.pem")));
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(broker.dataFolder().resolve("config-manager/signing-key.pem"))));

        try (Requester r = new Requester(broker.port(), "ops")) {
            assertTrue(r.send("set", "stt-worker", "{\"config\": {\"vad_threshold\": 1e-05}}")
                    .accepted());
            assertVerifies(key, awaitVersion(broker, 1));
            assertTrue(r.send("patch", "stt-worker", "{\"patch\": {\"sample_rate\": 22050}}")
                    .accepted());
            assertVerifies(key, awaitVersion(broker, 2));
            assertTrue(r.send("rollback", "stt-worker", "{\"to_version\": 1}").accepted());
            final JsonNode rolledBack = awaitVersion(broker, 3);
            assertVerifies(key, rolledBack);
            assertTamperingIsDetected(key, rolledBack);
        }

        broker.restartOnSameHome();
        assertEquals(pem, servedKey(), "the generated key is kept across restarts");
        assertVerifies(key, awaitVersion(broker, 3));
        try (Requester r = new Requester(broker.port(), "ops")) {
            assertTrue(r.send("set", "stt-worker", "{\"config\": {\"channels\": 2}}")
                    .accepted());
        }
        assertVerifies(key, awaitVersion(broker, 4));
    }

    @Test
    void turningSigningOnRepublishesTheUnsignedRetainedConfigsSigned() throws Exception {
        final AtomicReference<Path> root = new AtomicReference<>();
        final TestBroker broker = fixture.start(dir -> {
            root.set(Files.createDirectories(dir.resolve("unsigned-first")));
            return TestBroker.startPersistent(root.get(), CONSOLE_SETTINGS);
        });
        try (Requester r = new Requester(broker.port(), "ops")) {
            assertTrue(r.send("set", "router", "{\"config\": {\"router_stream_min_chars\": 25}}")
                    .accepted());
        }
        assertTrue(awaitVersion(broker, "router", 1, false).get("signature").isNull(), "signing is off");

        final Path settings = root.get().resolve("extension/conf/config.xml");
        Files.writeString(
                settings,
                Files.readString(settings)
                        .replace("<config-manager>", "<config-manager><signing><generate>true</generate></signing>"));
        broker.restartOnSameHome();

        assertVerifies(publicKey(servedKey()), awaitVersion(broker, "router", 1, true));
    }

    private static JsonNode awaitVersion(final TestBroker broker, final long version) throws Exception {
        return awaitVersion(broker, "stt-worker", version, true);
    }

    /** The retained update once it is {@code version} (and signed, if {@code signed}), or what is there after 20 s. */
    private static JsonNode awaitVersion(
            final TestBroker broker, final String service, final long version, final boolean signed) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        JsonNode body;
        do {
            body = RetainedReader.receiveJson(broker.port(), "config/updated/" + service);
            if (body.get("version").asLong() == version
                    && (!signed || body.get("signature").isTextual())) {
                return body;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return body;
    }

    /** What the py-tars verifier rebuilds from the message it received, written out here on its own. */
    private static byte[] signedText(final JsonNode body) {
        return (body.get("version").asLong() + "|" + body.get("service").asText() + "|"
                        + CanonicalJson.write(body.get("config")) + "|"
                        + body.get("checksum").asText() + "|"
                        + body.get("config_epoch").asText() + "|"
                        + body.get("issued_at").asText())
                .getBytes(StandardCharsets.UTF_8);
    }

    private static boolean verifies(final PublicKey key, final JsonNode body) throws Exception {
        if (!body.get("signature").isTextual()) {
            return false;
        }
        final Signature s = Signature.getInstance("Ed25519");
        s.initVerify(key);
        s.update(signedText(body));
        return s.verify(Base64.getDecoder().decode(body.get("signature").asText()));
    }

    private static void assertVerifies(final PublicKey key, final JsonNode body) throws Exception {
        assertTrue(verifies(key, body), "signature of " + body);
        assertTrue(
                body.get("issued_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{6})?\\+00:00"),
                body.get("issued_at").asText());
    }

    private static void assertTamperingIsDetected(final PublicKey key, final JsonNode body) throws Exception {
        for (final String field : new String[] {"service", "checksum", "config_epoch", "issued_at"}) {
            final ObjectNode changed = body.deepCopy();
            changed.put(field, body.get(field).asText() + "0");
            assertFalse(verifies(key, changed), field + " changed");
        }
        final ObjectNode newer = body.deepCopy();
        newer.put("version", body.get("version").asLong() + 1);
        assertFalse(verifies(key, newer), "version changed");
        final ObjectNode other = body.deepCopy();
        ((ObjectNode) other.get("config")).put("vad_threshold", 0.9);
        assertFalse(verifies(key, other), "config changed");
    }

    private static String servedKey() throws Exception {
        return servedKey(CONSOLE);
    }

    /** The public key the console at {@code consolePort} serves, as PEM. */
    static String servedKey(final int consolePort) throws Exception {
        final HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + consolePort + "/api/signing-key"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        final JsonNode body = Json.parse(r.body());
        assertEquals("Ed25519", body.get("algorithm").asText());
        return body.get("public_key_pem").asText();
    }

    static PublicKey publicKey(final String pem) throws Exception {
        final String base64 = pem.replace("-----BEGIN PUBLIC KEY-----", "")
                .replace("-----END PUBLIC KEY-----", "")
                .replaceAll("\\s", "");
        return KeyFactory.getInstance("Ed25519")
                .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }
}
