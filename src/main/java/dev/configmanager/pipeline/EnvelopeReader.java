package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.RequestId;
import dev.configmanager.wire.Violation;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The request id of a request: from its envelope ({@code id}, with {@code data} holding the request) or from a bare
 * request's {@code request_id}. An envelope holds exactly the py-tars envelope fields.
 */
final class EnvelopeReader {

    private static final Set<String> ENVELOPE_KEYS = Set.of("id", "type", "ts", "source", "data");

    private EnvelopeReader() {}

    static boolean isEnvelope(final JsonNode root) {
        return root.has("data");
    }

    /** The request id of either form; {@code null} for a bare request without one. */
    static @Nullable String requestId(final String service, final JsonNode root) throws RequestRejected {
        return isEnvelope(root) ? envelopeId(service, root) : bareRequestId(service, root);
    }

    private static String envelopeId(final String service, final JsonNode root) throws RequestRejected {
        final List<Violation> problems = new ArrayList<>();
        root.fieldNames().forEachRemaining(name -> {
            if (!ENVELOPE_KEYS.contains(name)) {
                problems.add(new Violation(
                        "/" + StorableValues.escapePointer(name),
                        "not an envelope field; an envelope has " + "exactly id, type, ts, source and data"));
            }
        });
        final JsonNode id = root.get("id");
        if (id == null || !id.isTextual() || !RequestId.isValid(id.textValue())) {
            problems.add(new Violation("/id", "the envelope id must be a string of " + RequestId.RULE));
        }
        checkType(root, "type", JsonNode::isTextual, "a string", problems);
        checkType(root, "source", JsonNode::isTextual, "a string", problems);
        checkType(root, "ts", JsonNode::isNumber, "a number", problems);
        if (!problems.isEmpty()) {
            throw new RequestRejected(
                    new Rejected(service, ErrorCode.INVALID_REQUEST, "the envelope is malformed", problems, null));
        }
        return id.textValue();
    }

    private static @Nullable String bareRequestId(final String service, final JsonNode root) throws RequestRejected {
        final JsonNode id = root.get("request_id");
        if (id == null) {
            return null;
        }
        if (!id.isTextual() || !RequestId.isValid(id.textValue())) {
            throw RequestRejected.of(
                    service,
                    ErrorCode.INVALID_REQUEST,
                    "request_id must be a string of " + RequestId.RULE,
                    "/request_id");
        }
        return id.textValue();
    }

    private static void checkType(
            final JsonNode root,
            final String field,
            final Predicate<JsonNode> ok,
            final String what,
            final List<Violation> problems) {
        final JsonNode value = root.get(field);
        if (value != null && !ok.test(value)) {
            problems.add(new Violation("/" + field, field + " must be " + what));
        }
    }
}
