package dev.configmanager.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;

/**
 * Reads one JSON document that a client sent, cheapest check first so that work never grows with a hostile input
 * before the limits have been applied: size, then UTF-8, then depth by a linear scan, and only then the strict parser
 * (duplicate keys, NaN and trailing content refused).
 */
final class JsonDocumentReader {

    private final int maxPayloadBytes;
    private final int maxDepth;

    JsonDocumentReader(final int maxPayloadBytes, final int maxDepth) {
        this.maxPayloadBytes = maxPayloadBytes;
        this.maxDepth = maxDepth;
    }

    int maxPayloadBytes() {
        return maxPayloadBytes;
    }

    /** Size, then UTF-8, then depth, then strict JSON: the order in which no check costs more than the input. */
    JsonNode read(final String service, final ByteBuffer payload, final boolean emptyIsObject) throws RequestRejected {
        if (payload.remaining() > maxPayloadBytes) {
            throw RequestRejected.of(
                    service,
                    ErrorCode.TOO_LARGE,
                    "payload is " + payload.remaining() + " bytes; the limit is " + maxPayloadBytes);
        }
        final String text = decodeUtf8(service, payload);
        return text.isBlank() && emptyIsObject ? Json.object() : parseJson(service, text);
    }

    private String decodeUtf8(final String service, final ByteBuffer payload) throws RequestRejected {
        try {
            return Json.decodeUtf8(payload);
        } catch (final CharacterCodingException e) {
            throw RequestRejected.of(service, ErrorCode.INVALID_JSON, "the payload is not valid UTF-8");
        }
    }

    private JsonNode parseJson(final String service, final String text) throws RequestRejected {
        if (text.isBlank()) {
            throw RequestRejected.of(service, ErrorCode.INVALID_JSON, "the payload is empty");
        }
        final int depth = JsonLimits.depth(text);
        if (depth > maxDepth) {
            throw RequestRejected.of(
                    service, ErrorCode.TOO_DEEP, "the payload nests " + depth + " levels; the limit is " + maxDepth);
        }
        try {
            return Json.parse(text);
        } catch (final JsonProcessingException e) {
            final var loc = e.getLocation();
            final String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw RequestRejected.of(
                    service,
                    ErrorCode.INVALID_JSON,
                    "the payload is not valid JSON" + where + ": " + jsonProblem(e.getOriginalMessage()));
        } catch (final IOException e) {
            throw RequestRejected.of(service, ErrorCode.INVALID_JSON, "the payload is not valid JSON");
        }
    }

    /**
     * What kind of JSON error the parser met, in words of our own: the parser's message quotes the offending input
     * (a secret typed without quotes would land in the result, the PUBACK reason and the audit log), so only its kind
     * is kept; the position says where.
     */
    private static String jsonProblem(final String parserMessage) {
        final String m = parserMessage == null ? "" : parserMessage;
        if (m.startsWith("Duplicate field")) {
            return "a key appears twice in one object";
        }
        if (m.contains("end-of-input")) {
            return "the document ends before it is complete";
        }
        if (m.contains("Trailing token") || m.contains("trailing token")) {
            return "there is content after the document";
        }
        if (m.contains("Non-standard token") || m.contains("NaN") || m.contains("Infinity")) {
            return "a number JSON does not have (NaN, Infinity)";
        }
        if (m.contains("Leading zeroes")
                || m.contains("numeric value")
                || m.contains("Number value")
                || m.contains("Numeric value")) {
            return "a malformed or overlong number";
        }
        if (m.contains("CTRL-CHAR") || m.contains("control character")) {
            return "a control character inside a string must be escaped";
        }
        if (m.contains("escape")) {
            return "an invalid escape in a string";
        }
        return "an unexpected character or token";
    }
}
