package dev.configmanager.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The project's one Jackson setup. Parsing is strict: duplicate keys, trailing content and non-standard JSON are
 * errors, because a request that means two different things to two parsers must not be stored.
 */
public final class Json {

    /** Jackson's own nesting guard, a backstop behind {@link dev.configmanager.pipeline.JsonLimits}. */
    private static final int PARSER_MAX_NESTING = 256;

    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(PARSER_MAX_NESTING)
                            .maxNumberLength(64)
                            .build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private Json() {}

    public static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    /** Strict UTF-8: malformed input is an error, never silently replaced. */
    public static String decodeUtf8(final ByteBuffer bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(bytes.duplicate())
                .toString();
    }

    public static JsonNode parse(final String text) throws IOException {
        return MAPPER.readTree(text);
    }

    public static byte[] bytes(final JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (final IOException e) {
            throw new IllegalStateException("a JsonNode always serializes", e);
        }
    }

    public static String text(final JsonNode node) {
        return new String(bytes(node), StandardCharsets.UTF_8);
    }
}
