package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.config.TopicLayout.RequestTopic;
import dev.configmanager.wire.ClientText;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;
import dev.configmanager.wire.RequestId;
import dev.configmanager.wire.RequestOrigin;
import dev.configmanager.wire.ServiceName;
import dev.configmanager.wire.Violation;
import org.jspecify.annotations.Nullable;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Turns a raw request (topic + payload bytes) into a {@link ConfigRequest}, or a rejection that says exactly what is
 * wrong: the document is read by {@link JsonDocumentReader} (cheapest check first), its request id by
 * {@link EnvelopeReader}, the fields of each action here, and the values of a config by {@link StorableValues}.
 */
public final class RequestParser {

    private final JsonDocumentReader documents;

    public RequestParser(final int maxPayloadBytes, final int maxDepth) {
        this.documents = new JsonDocumentReader(maxPayloadBytes, maxDepth);
    }

    int maxPayloadBytes() {
        return documents.maxPayloadBytes();
    }

    /** Either a request, or a rejection with whatever request id could be read before the problem. */
    public sealed interface Parsed {
        /** The request id the requester gave, as far as it could be read; {@code null} if none. */
        @Nullable
        String requestId();

        record Ok(ConfigRequest request) implements Parsed {
            @Override
            public @Nullable String requestId() {
                return request.requestId();
            }
        }

        record Failed(Rejected rejection, @Nullable String requestId) implements Parsed {}
    }

    public Parsed parse(
            final RequestTopic topic, final ByteBuffer payload, final String requester, final RequestOrigin origin) {
        final String service = topic.service();
        String requestId = null;
        try {
            if (topic.action() == Action.UNKNOWN) {
                requestId = readableRequestId(payload);
                throw RequestRejected.of(
                        resultService(service),
                        ErrorCode.INVALID_REQUEST,
                        "unknown request topic: "
                                + "requests are published to <request-prefix>/set|patch|rollback|delete/<service>");
            }
            checkServiceName(service);
            final JsonNode root = documents.read(service, payload, topic.action() == Action.DELETE);
            if (!root.isObject()) {
                throw RequestRejected.of(
                        service,
                        ErrorCode.INVALID_REQUEST,
                        "the request must be a JSON object, " + "not "
                                + root.getNodeType().name().toLowerCase());
            }
            requestId = EnvelopeReader.requestId(service, root);
            final JsonNode body = EnvelopeReader.isEnvelope(root) ? root.get("data") : root;
            if (!body.isObject()) {
                throw RequestRejected.of(
                        service, ErrorCode.INVALID_REQUEST, "the envelope's data must be a JSON object", "/data");
            }
            return new Parsed.Ok(body(topic.action(), service, body, requestId, requester, origin));
        } catch (final RequestRejected r) {
            return new Parsed.Failed(r.rejection(), requestId);
        }
    }

    /**
     * A request from the console: the body is the document itself (the config for set, the merge patch for patch,
     * {@code {"to_version": n}} for rollback, nothing for delete), with the same limits and checks as over MQTT;
     * the expected version comes from {@code If-Match}.
     */
    public Parsed parseHttp(
            final RequestTopic topic,
            final ByteBuffer body,
            final @Nullable Long expectedVersion,
            final @Nullable String requestId,
            final String requester) {
        final String service = topic.service();
        try {
            checkServiceName(service);
            if (requestId != null && !RequestId.isValid(requestId)) {
                throw RequestRejected.of(service, ErrorCode.INVALID_REQUEST, "X-Request-Id must be " + RequestId.RULE);
            }
            final JsonNode document = documents.read(service, body, topic.action() == Action.DELETE);
            if (!document.isObject()) {
                throw RequestRejected.of(service, ErrorCode.INVALID_REQUEST, "the body must be a JSON object");
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
        } catch (final RequestRejected r) {
            return new Parsed.Failed(
                    r.rejection(), requestId != null && RequestId.isValid(requestId) ? requestId : null);
        }
    }

    /**
     * The request id of a request refused for its topic alone, so its answer can still carry it; {@code null} when
     * the payload does not yield a valid one.
     */
    private @Nullable String readableRequestId(final ByteBuffer payload) {
        try {
            final JsonNode root = documents.read("", payload, false);
            return root.isObject() ? EnvelopeReader.requestId("", root) : null;
        } catch (final RequestRejected r) {
            return null;
        }
    }

    private static void checkServiceName(final String service) throws RequestRejected {
        if (!ServiceName.isValid(service)) {
            throw RequestRejected.of(
                    resultService(service),
                    ErrorCode.INVALID_SERVICE_NAME,
                    "service name '" + ClientText.escape(service, 80) + "' " + ServiceName.RULE);
        }
    }

    /**
     * The service a rejection names: the topic level itself when it is a service name, else a printable and clipped
     * form of it (it is echoed in the result, the audit log and the broker log).
     */
    private static String resultService(final String level) {
        return ServiceName.isValid(level) ? level : ClientText.escape(level, 64);
    }

    private ConfigRequest body(
            final Action action,
            final String service,
            final JsonNode body,
            final @Nullable String requestId,
            final String requester,
            final RequestOrigin origin)
            throws RequestRejected {
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
                unknown.add(new Violation(
                        "/" + StorableValues.escapePointer(name),
                        "unknown field for " + action.topicLevel() + "; allowed: "
                                + String.join(", ", new java.util.TreeSet<>(allowed))));
            }
        });
        if (!unknown.isEmpty()) {
            throw new RequestRejected(
                    new Rejected(service, ErrorCode.INVALID_REQUEST, "the request has unknown fields", unknown, null));
        }
        final Long expected = body.has("expected_version")
                ? nonNegativeLong(service, body.get("expected_version"), "/expected_version", 0)
                : null;
        JsonNode document = null;
        long toVersion = 0;
        switch (action) {
            case SET -> document = requiredObject(service, body, "config");
            case PATCH -> document = requiredObject(service, body, "patch");
            case ROLLBACK -> {
                if (!body.has("to_version")) {
                    throw RequestRejected.of(
                            service, ErrorCode.INVALID_REQUEST, "rollback needs to_version", "/to_version");
                }
                toVersion = nonNegativeLong(service, body.get("to_version"), "/to_version", 1);
            }
            case DELETE -> {
                // nothing besides the optional fields
            }
        }
        if (document != null) {
            StorableValues.check(service, document);
        }
        return new ConfigRequest(action, service, document, toVersion, expected, requestId, requester, origin, null);
    }

    private static JsonNode requiredObject(final String service, final JsonNode body, final String field)
            throws RequestRejected {
        final JsonNode value = body.get(field);
        if (value == null || !value.isObject()) {
            throw RequestRejected.of(service, ErrorCode.INVALID_REQUEST, field + " must be a JSON object", "/" + field);
        }
        return value;
    }

    private static long nonNegativeLong(final String service, final JsonNode value, final String path, final long min)
            throws RequestRejected {
        if (value.isIntegralNumber() && value.canConvertToLong() && value.longValue() >= min) {
            return value.longValue();
        }
        throw RequestRejected.of(
                service, ErrorCode.INVALID_REQUEST, path.substring(1) + " must be an integer >= " + min, path);
    }
}
