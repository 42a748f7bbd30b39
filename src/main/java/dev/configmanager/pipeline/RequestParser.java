package dev.configmanager.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.config.TopicLayout.RequestTopic;
import dev.configmanager.wire.RequestOrigin;
import dev.configmanager.wire.ClientText;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;
import dev.configmanager.wire.Violation;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns a raw request (topic + payload bytes) into a {@link ConfigRequest}, or a rejection that says exactly what is
 * wrong. Cheap checks come first, so work never grows with a hostile input before the limits have been applied: size,
 * then UTF-8, then depth by a linear scan, and only then the JSON parser.
 */
public final class RequestParser {

    public static final Pattern SERVICE_NAME = Pattern.compile("^[a-z][a-z0-9-]{0,63}$");
    /**
     * One request-id syntax for MQTT and HTTP. Ids are echoed in result envelopes, user properties, history and logs,
     * so they are held to characters every MQTT client, log and column takes as they are (UUIDs, ULIDs, base64,
     * {@code host:pid/n} all fit).
     */
    public static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:@/+=-]{1,128}");
    static final String REQUEST_ID_RULE = "1 to 128 characters from A-Z a-z 0-9 . _ : @ / + = -";
    private static final Set<String> ENVELOPE_KEYS = Set.of("id", "type", "ts", "source", "data");

    private final int maxPayloadBytes;
    private final int maxDepth;

    public RequestParser(final int maxPayloadBytes, final int maxDepth) {
        this.maxPayloadBytes = maxPayloadBytes;
        this.maxDepth = maxDepth;
    }

    /** Either a request, or a rejection with whatever request id could be read before the problem. */
    public sealed interface Parsed {
        /** The request id the requester gave, as far as it could be read; {@code null} if none. */
        String requestId();

        record Ok(ConfigRequest request) implements Parsed {
            @Override
            public String requestId() {
                return request.requestId();
            }
        }

        record Failed(Rejected rejection, String requestId) implements Parsed {
        }
    }

    private static final class Reject extends Exception {
        final Rejected rejection;

        Reject(final Rejected rejection) {
            super(rejection.message(), null, false, false);
            this.rejection = rejection;
        }
    }

    int maxPayloadBytes() {
        return maxPayloadBytes;
    }

    public static boolean isValidServiceName(final String service) {
        return SERVICE_NAME.matcher(service).matches();
    }

    public static boolean isValidRequestId(final String id) {
        return REQUEST_ID.matcher(id).matches();
    }

    public Parsed parse(final RequestTopic topic, final ByteBuffer payload, final String requester,
                        final RequestOrigin origin) {
        final String service = topic.service();
        String requestId = null;
        try {
            if (topic.action() == Action.UNKNOWN) {
                requestId = readableRequestId(payload);
                throw reject(resultService(service), ErrorCode.INVALID_REQUEST, "unknown request topic: requests are "
                        + "published to <request-prefix>/set|patch|rollback|delete/<service>");
            }
            checkServiceName(service);
            final JsonNode root = readDocument(service, payload, topic.action() == Action.DELETE);
            if (!root.isObject()) {
                throw reject(service, ErrorCode.INVALID_REQUEST, "the request must be a JSON object, not "
                        + root.getNodeType().name().toLowerCase());
            }
            final JsonNode body;
            if (root.has("data")) {
                requestId = envelopeId(service, root);
                body = root.get("data");
                if (!body.isObject()) {
                    throw reject(service, ErrorCode.INVALID_REQUEST, "the envelope's data must be a JSON object",
                            "/data");
                }
            } else {
                body = root;
                requestId = bareRequestId(service, root);
            }
            return new Parsed.Ok(body(topic.action(), service, body, requestId, requester, origin));
        } catch (final Reject r) {
            return new Parsed.Failed(r.rejection, requestId);
        }
    }

    /**
     * A request from the console: the body is the document itself (the config for set, the merge patch for patch,
     * {@code {"to_version": n}} for rollback, nothing for delete), with the same limits and checks as over MQTT;
     * the expected version comes from {@code If-Match}.
     */
    public Parsed parseHttp(final RequestTopic topic, final ByteBuffer body, final Long expectedVersion,
                            final String requestId, final String requester) {
        final String service = topic.service();
        try {
            checkServiceName(service);
            if (requestId != null && !isValidRequestId(requestId)) {
                throw reject(service, ErrorCode.INVALID_REQUEST, "X-Request-Id must be " + REQUEST_ID_RULE);
            }
            final JsonNode document = readDocument(service, body, topic.action() == Action.DELETE);
            if (!document.isObject()) {
                throw reject(service, ErrorCode.INVALID_REQUEST, "the body must be a JSON object");
            }
            final var request = Json.object();
            switch (topic.action()) {
                case SET -> request.set("config", document);
                case PATCH -> request.set("patch", document);
                case ROLLBACK, DELETE -> request.setAll((com.fasterxml.jackson.databind.node.ObjectNode) document);
            }
            if (expectedVersion != null) {
                request.put("expected_version", expectedVersion);
            }
            return new Parsed.Ok(body(topic.action(), service, request, requestId, requester, RequestOrigin.HTTP));
        } catch (final Reject r) {
            return new Parsed.Failed(r.rejection, requestId != null && isValidRequestId(requestId) ? requestId : null);
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
        if (m.contains("Leading zeroes") || m.contains("numeric value") || m.contains("Number value")
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

    /**
     * The request id of a request refused for its topic alone, so its answer can still carry it; {@code null} when
     * the payload does not yield a valid one.
     */
    private String readableRequestId(final ByteBuffer payload) {
        try {
            final JsonNode root = readDocument("", payload, false);
            if (!root.isObject()) {
                return null;
            }
            return root.has("data") ? envelopeId("", root) : bareRequestId("", root);
        } catch (final Reject r) {
            return null;
        }
    }

    private static void checkServiceName(final String service) throws Reject {
        if (!isValidServiceName(service)) {
            throw reject(resultService(service), ErrorCode.INVALID_SERVICE_NAME, "service name '"
                    + ClientText.escape(service, 80) + "' must match " + SERVICE_NAME.pattern());
        }
    }

    /**
     * The service a rejection names: the topic level itself when it is a service name, else a printable and clipped
     * form of it (it is echoed in the result, the audit log and the broker log).
     */
    private static String resultService(final String level) {
        return isValidServiceName(level) ? level : ClientText.escape(level, 64);
    }

    /** Size, then UTF-8, then depth, then strict JSON: the order in which no check costs more than the input. */
    private JsonNode readDocument(final String service, final ByteBuffer payload, final boolean emptyIsObject)
            throws Reject {
        if (payload.remaining() > maxPayloadBytes) {
            throw reject(service, ErrorCode.TOO_LARGE, "payload is " + payload.remaining()
                    + " bytes; the limit is " + maxPayloadBytes);
        }
        final String text = decodeUtf8(service, payload);
        return text.isBlank() && emptyIsObject ? Json.object() : parseJson(service, text);
    }

    private ConfigRequest body(final Action action, final String service, final JsonNode body, final String requestId,
                               final String requester, final RequestOrigin origin) throws Reject {
        final Set<String> allowed = switch (action) {
            case SET -> Set.of("config", "expected_version", "request_id");
            case PATCH -> Set.of("patch", "expected_version", "request_id");
            case ROLLBACK -> Set.of("to_version", "expected_version", "request_id");
            case DELETE -> Set.of("expected_version", "request_id");
            case UNKNOWN -> throw new IllegalArgumentException("not a request action");
        };
        final List<Violation> unknown = new ArrayList<>();
        body.fieldNames().forEachRemaining(name -> {
            if (!allowed.contains(name)) {
                unknown.add(new Violation("/" + escapePointer(name), "unknown field for " + action.topicLevel()
                        + "; allowed: " + String.join(", ", new java.util.TreeSet<>(allowed))));
            }
        });
        if (!unknown.isEmpty()) {
            throw new Reject(new Rejected(service, ErrorCode.INVALID_REQUEST, "the request has unknown fields",
                    unknown, null));
        }
        final Long expected = body.has("expected_version")
                ? nonNegativeLong(service, body.get("expected_version"), "/expected_version", 0) : null;
        JsonNode document = null;
        long toVersion = 0;
        switch (action) {
            case SET -> document = requiredObject(service, body, "config");
            case PATCH -> document = requiredObject(service, body, "patch");
            case ROLLBACK -> {
                if (!body.has("to_version")) {
                    throw reject(service, ErrorCode.INVALID_REQUEST, "rollback needs to_version", "/to_version");
                }
                toVersion = nonNegativeLong(service, body.get("to_version"), "/to_version", 1);
            }
            case DELETE -> {
                // nothing besides the optional fields
            }
        }
        if (document != null) {
            final List<Violation> values = new ArrayList<>();
            checkValues(document, Pointer.ROOT, values);
            if (!values.isEmpty()) {
                throw new Reject(new Rejected(service, ErrorCode.INVALID_REQUEST,
                        "the document has values that cannot be stored faithfully", values, null));
            }
        }
        return new ConfigRequest(action, service, document, toVersion, expected, requestId, requester, origin, null);
    }

    private String decodeUtf8(final String service, final ByteBuffer payload) throws Reject {
        try {
            return Json.decodeUtf8(payload);
        } catch (final CharacterCodingException e) {
            throw reject(service, ErrorCode.INVALID_JSON, "the payload is not valid UTF-8");
        }
    }

    private JsonNode parseJson(final String service, final String text) throws Reject {
        if (text.isBlank()) {
            throw reject(service, ErrorCode.INVALID_JSON, "the payload is empty");
        }
        final int depth = JsonLimits.depth(text);
        if (depth > maxDepth) {
            throw reject(service, ErrorCode.TOO_DEEP, "the payload nests " + depth + " levels; the limit is "
                    + maxDepth);
        }
        try {
            return Json.parse(text);
        } catch (final JsonProcessingException e) {
            final var loc = e.getLocation();
            final String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw reject(service, ErrorCode.INVALID_JSON, "the payload is not valid JSON" + where + ": "
                    + jsonProblem(e.getOriginalMessage()));
        } catch (final java.io.IOException e) {
            throw reject(service, ErrorCode.INVALID_JSON, "the payload is not valid JSON");
        }
    }

    private static String envelopeId(final String service, final JsonNode root) throws Reject {
        final List<Violation> problems = new ArrayList<>();
        root.fieldNames().forEachRemaining(name -> {
            if (!ENVELOPE_KEYS.contains(name)) {
                problems.add(new Violation("/" + escapePointer(name), "not an envelope field; an envelope has "
                        + "exactly id, type, ts, source and data"));
            }
        });
        final JsonNode id = root.get("id");
        if (id == null || !id.isTextual() || !isValidRequestId(id.textValue())) {
            problems.add(new Violation("/id", "the envelope id must be a string of " + REQUEST_ID_RULE));
        }
        checkType(root, "type", JsonNode::isTextual, "a string", problems);
        checkType(root, "source", JsonNode::isTextual, "a string", problems);
        checkType(root, "ts", JsonNode::isNumber, "a number", problems);
        if (!problems.isEmpty()) {
            throw new Reject(new Rejected(service, ErrorCode.INVALID_REQUEST, "the envelope is malformed", problems,
                    null));
        }
        return id.textValue();
    }

    private static String bareRequestId(final String service, final JsonNode root) throws Reject {
        final JsonNode id = root.get("request_id");
        if (id == null) {
            return null;
        }
        if (!id.isTextual() || !isValidRequestId(id.textValue())) {
            throw reject(service, ErrorCode.INVALID_REQUEST, "request_id must be a string of " + REQUEST_ID_RULE,
                    "/request_id");
        }
        return id.textValue();
    }

    private static void checkType(final JsonNode root, final String field,
                                  final java.util.function.Predicate<JsonNode> ok, final String what,
                                  final List<Violation> problems) {
        final JsonNode value = root.get(field);
        if (value != null && !ok.test(value)) {
            problems.add(new Violation("/" + field, field + " must be " + what));
        }
    }

    private static JsonNode requiredObject(final String service, final JsonNode body, final String field)
            throws Reject {
        final JsonNode value = body.get(field);
        if (value == null || !value.isObject()) {
            throw reject(service, ErrorCode.INVALID_REQUEST, field + " must be a JSON object", "/" + field);
        }
        return value;
    }

    private static long nonNegativeLong(final String service, final JsonNode value, final String path, final long min)
            throws Reject {
        if (value.isIntegralNumber() && value.canConvertToLong() && value.longValue() >= min) {
            return value.longValue();
        }
        throw reject(service, ErrorCode.INVALID_REQUEST, path.substring(1) + " must be an integer >= " + min, path);
    }

    /**
     * Numbers every consumer reads the same way (64-bit integers, finite doubles) and text that is valid Unicode (a
     * surrogate escaped on its own, without its pair, would not survive UTF-8).
     */
    /**
     * A JSON Pointer built only when a problem is reported: a config of thousands of members would otherwise
     * concatenate a path string for every one of them.
     */
    private record Pointer(Pointer parent, String segment) {
        static final Pointer ROOT = new Pointer(null, null);

        Pointer child(final String key) {
            return new Pointer(this, key);
        }

        @Override
        public String toString() {
            return parent == null ? "" : parent + "/" + escapePointer(segment);
        }
    }

    private static void checkValues(final JsonNode node, final Pointer path, final List<Violation> problems) {
        if (node.isNumber()) {
            final boolean ok = node.isIntegralNumber() ? node.canConvertToLong() : Double.isFinite(node.doubleValue());
            if (!ok) {
                problems.add(new Violation(path.toString(), "number out of range: integers must fit in 64 bits, "
                        + "other numbers must be finite doubles"));
            }
        } else if (node.isTextual()) {
            if (hasUnpairedSurrogate(node.textValue())) {
                problems.add(new Violation(path.toString(), "string contains an unpaired surrogate"));
            }
        } else if (node.isObject()) {
            final Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                final var e = it.next();
                final Pointer child = path.child(e.getKey());
                if (hasUnpairedSurrogate(e.getKey())) {
                    problems.add(new Violation(child.toString(), "key contains an unpaired surrogate"));
                }
                checkValues(e.getValue(), child, problems);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                checkValues(node.get(i), path.child(Integer.toString(i)), problems);
            }
        }
    }

    private static boolean hasUnpairedSurrogate(final String s) {
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return true;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    static String escapePointer(final String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static Reject reject(final String service, final ErrorCode code, final String message) {
        return new Reject(Rejected.of(service, code, message));
    }

    private static Reject reject(final String service, final ErrorCode code, final String message,
                                 final String path) {
        return new Reject(new Rejected(service, code, message, List.of(new Violation(path, message)), null));
    }
}
