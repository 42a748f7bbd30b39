package dev.configmanager.security;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.ConfigUpdated;
import dev.configmanager.wire.Json;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vectors in {@code vectors/tars-signing.json} were made by running orjson and the py-tars ConfigLibrary's
 * verification steps (see its {@code about}): what a py-tars service computes from an update must equal, byte for
 * byte, what the extension computed and signed. Ed25519 is deterministic, so the signatures must match too.
 */
@Tag("unit")
class TarsSigningVectorsTest {

    private static JsonNode vectors() throws Exception {
        try (InputStream in = TarsSigningVectorsTest.class.getResourceAsStream("/vectors/tars-signing.json")) {
            return Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void everyCaseHasTheCanonicalBytesChecksumSignedMessageAndSignatureOfThePyTarsVerifier() throws Exception {
        final JsonNode vectors = vectors();
        final SigningKey key = SigningKey.fromPem(vectors.get("private_key_pem").asText());
        int differing = 0;
        for (final JsonNode c : vectors.get("cases")) {
            final String name = c.get("config_json").asText();
            final String canonical = CanonicalJson.write(Json.parse(name));
            assertEquals(c.get("canonical").asText(), canonical, name);
            assertEquals(c.get("checksum").asText(), CanonicalJson.sha256Hex(canonical), name);
            final var update = new ConfigUpdated(
                    c.get("service").asText(),
                    canonical,
                    c.get("version").asLong(),
                    c.get("config_epoch").asText(),
                    c.get("checksum").asText(),
                    OffsetDateTime.parse(c.get("issued_at_wire").asText()).toInstant(),
                    null);
            assertEquals(
                    c.get("issued_at_isoformat").asText(),
                    ConfigUpdated.issuedAtText(update.issuedAt()),
                    "issued_at as pydantic parses and isoformat() prints it: " + name);
            assertEquals(
                    c.get("signed_message").asText(), new String(update.signedText(), StandardCharsets.UTF_8), name);
            assertEquals(c.get("signature").asText(), key.sign(update.signedText()), name);
            assertTrue(key.signed(update.signedText(), c.get("signature").asText()), name);
            if (c.get("differs_from_python_json_dumps").asBoolean()) {
                differing++;
            }
        }
        assertEquals(32, vectors.get("cases").size());
        assertEquals(4, differing, "the cases where orjson and json.dumps differ are all covered");
    }

    @Test
    void thePublicKeyIsDerivedFromThePrivateKeyAsPem() throws Exception {
        final JsonNode vectors = vectors();
        final SigningKey key = SigningKey.fromPem(vectors.get("private_key_pem").asText());
        assertEquals(
                vectors.get("public_key_pem").asText().strip(),
                key.publicKeyPem().strip());
    }

    @Test
    void aSignatureFailsWhenAnyFieldOfTheMessageChanges() throws Exception {
        final JsonNode vectors = vectors();
        final SigningKey key = SigningKey.fromPem(vectors.get("private_key_pem").asText());
        final JsonNode c = vectors.get("cases").get(1);
        final String signature = c.get("signature").asText();
        final String message = c.get("signed_message").asText();
        final String[] parts = message.split("\\|", -1);
        assertEquals(6, parts.length);
        assertTrue(key.signed(message.getBytes(StandardCharsets.UTF_8), signature));
        for (int i = 0; i < parts.length; i++) {
            final String[] changed = parts.clone();
            changed[i] = changed[i] + "0";
            assertFalse(
                    key.signed(String.join("|", changed).getBytes(StandardCharsets.UTF_8), signature),
                    "field " + i + " changed");
        }
        assertFalse(key.signed(message.getBytes(StandardCharsets.UTF_8), "not base64!"));
    }

    @Test
    void aConfiguredKeyFileSignsAndItsPublicKeyIsWrittenForServices(
            @org.junit.jupiter.api.io.TempDir final java.nio.file.Path dir) throws Exception {
        final JsonNode vectors = vectors();
        final var keyFile = dir.resolve("secrets/signature_private_key.pem");
        java.nio.file.Files.createDirectories(keyFile.getParent());
        java.nio.file.Files.writeString(keyFile, vectors.get("private_key_pem").asText());
        final SigningKey key = UpdateSigning.open(
                new dev.configmanager.config.SigningSettings(keyFile.toString(), false), dir.resolve("data"));
        final JsonNode c = vectors.get("cases").get(0);
        assertEquals(
                c.get("signature").asText(),
                key.sign(c.get("signed_message").asText().getBytes(StandardCharsets.UTF_8)));
        assertEquals(
                vectors.get("public_key_pem").asText().strip(),
                java.nio.file.Files.readString(dir.resolve("data/config-manager/signing-public.pem"))
                        .strip());

        java.nio.file.Files.writeString(keyFile, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
        assertEquals(
                null,
                UpdateSigning.open(new dev.configmanager.config.SigningSettings(keyFile.toString(), false), dir),
                "an unusable key: updates go out unsigned, the broker runs on");
    }

    @Test
    void aGeneratedKeyIsOwnerOnlyAndKeptAcrossStarts(@org.junit.jupiter.api.io.TempDir final java.nio.file.Path dir)
            throws Exception {
        final var file = dir.resolve("config-manager/signing-key.pem");
        final SigningKey first = SigningKey.generatedAt(file);
        assertEquals(
                "rw-------",
                java.nio.file.attribute.PosixFilePermissions.toString(
                        java.nio.file.Files.getPosixFilePermissions(file)));
        final SigningKey again = SigningKey.generatedAt(file);
        assertEquals(first.publicKeyPem(), again.publicKeyPem());
        final byte[] message = "1|svc|{}|x|y|z".getBytes(StandardCharsets.UTF_8);
        assertTrue(again.signed(message, first.sign(message)));
    }
}
