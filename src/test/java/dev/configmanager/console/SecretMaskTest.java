package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.wire.Json;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Masking secrets for the console, putting them back on save, and the diff that never shows one. */
@Tag("unit")
class SecretMaskTest {

    private static final List<List<String>> SECRETS = List.of(List.of("db", "password"), List.of("tokens", "1"));

    @Test
    void secretsAreMaskedWhereverTheyAreAndNothingElseIs() throws Exception {
        final JsonNode config = Json.parse("{\"db\":{\"host\":\"h\",\"password\":\"p\"},\"tokens\":[\"a\",\"b\"]}");
        assertEquals(
                Json.parse("{\"db\":{\"host\":\"h\",\"password\":\"********\"},\"tokens\":[\"a\"," + "\"********\"]}"),
                SecretMask.mask(config, List.of(), SECRETS));
        assertEquals("p", config.get("db").get("password").textValue(), "the stored config is not touched");
        assertEquals(
                Json.parse("\"********\""),
                SecretMask.mask(config.get("db").get("password"), List.of("db", "password"), SECRETS),
                "a value that is a secret");
        final JsonNode plain = Json.parse("{\"a\":1}");
        assertSame(plain, SecretMask.mask(plain, List.of(), List.of()), "no secrets: no copy");
    }

    @Test
    void aMaskSentBackMeansTheStoredSecret() throws Exception {
        final JsonNode stored = Json.parse("{\"db\":{\"password\":\"p\"},\"tokens\":[\"a\",\"b\"]}");
        final JsonNode edited = Json.parse("{\"db\":{\"password\":\"********\"},\"tokens\":[\"a\",\"********\"]}");
        SecretMask.restore(edited, stored, SECRETS);
        assertEquals(stored, edited);
    }

    @Test
    void aMaskWithNothingStoredBehindItIsDropped() throws Exception {
        final JsonNode edited = Json.parse("{\"db\":{\"password\":\"********\"}}");
        SecretMask.restore(edited, null, SECRETS);
        assertEquals(Json.parse("{\"db\":{}}"), edited);
    }

    @Test
    void aChangedSecretShowsInTheDiffOnlyAsMasks() throws Exception {
        final JsonNode from = Json.parse("{\"db\":{\"password\":\"old\",\"port\":1}}");
        final JsonNode to = Json.parse("{\"db\":{\"password\":\"new\",\"port\":2},\"added\":true}");
        assertEquals(
                Json.parse("[{\"path\":\"/added\",\"op\":\"added\",\"to\":true},"
                        + "{\"path\":\"/db/password\",\"op\":\"changed\",\"from\":\"********\",\"to\":\"********\"},"
                        + "{\"path\":\"/db/port\",\"op\":\"changed\",\"from\":1,\"to\":2}]"),
                ConfigDiff.between(from, to, SECRETS, SECRETS));
    }
}
