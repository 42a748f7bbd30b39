package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.wire.AppliedReport;
import dev.configmanager.wire.ClientText;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.ServiceName;
import dev.configmanager.wire.Violation;
import org.jspecify.annotations.Nullable;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads a report from {@code config/applied/<service>}: {@code {"version", "checksum", "ok", "error"?}} as an envelope's
 * {@code data} or bare (then with an optional {@code request_id}), like a request. A report is small: anything over a
 * few kilobytes is refused before it is read.
 */
final class AppliedReportParser {

    /** A report is four short fields; the longest error a service may send, with the envelope around it. */
    static final int MAX_REPORT_BYTES = 8 * 1024;

    private static final Set<String> FIELDS = Set.of("version", "checksum", "ok", "error", "request_id");

    private final JsonDocumentReader documents = new JsonDocumentReader(MAX_REPORT_BYTES, 4);

    /** A report, or the rejection its sender gets, with whatever request id could be read first. */
    sealed interface Read {
        @Nullable
        String requestId();

        record Ok(AppliedReport report, @Nullable String requestId) implements Read {}

        record Failed(Rejected rejection, @Nullable String requestId) implements Read {}
    }

    Read read(final String service, final ByteBuffer payload) {
        String requestId = null;
        try {
            if (!ServiceName.isValid(service)) {
                throw RequestRejected.of(
                        ClientText.escape(service, 64),
                        ErrorCode.INVALID_SERVICE_NAME,
                        "service name '" + ClientText.escape(service, 80) + "' " + ServiceName.RULE);
            }
            final JsonNode root = documents.read(service, payload, false);
            if (!root.isObject()) {
                throw RequestRejected.of(service, ErrorCode.INVALID_REQUEST, "a report must be a JSON object");
            }
            requestId = EnvelopeReader.requestId(service, root);
            final JsonNode body = EnvelopeReader.isEnvelope(root) ? root.get("data") : root;
            if (!body.isObject()) {
                throw RequestRejected.of(
                        service, ErrorCode.INVALID_REQUEST, "the envelope's data must be a JSON object", "/data");
            }
            return new Read.Ok(report(service, body, EnvelopeReader.isEnvelope(root)), requestId);
        } catch (final RequestRejected r) {
            return new Read.Failed(r.rejection(), requestId);
        } catch (final IllegalArgumentException e) {
            // the report record refuses what slipped past the checks above: refused, never thrown at the broker
            return new Read.Failed(
                    Rejected.of(service, ErrorCode.INVALID_REQUEST, "the report is malformed"), requestId);
        }
    }

    private static AppliedReport report(final String service, final JsonNode body, final boolean inEnvelope)
            throws RequestRejected {
        final List<Violation> problems = new ArrayList<>();
        body.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.contains(name) || (inEnvelope && name.equals("request_id"))) {
                problems.add(new Violation(
                        "/" + StorableValues.escapePointer(name),
                        "unknown field for a report; allowed: checksum, error, ok, version"
                                + (inEnvelope ? "" : ", request_id")));
            }
        });
        final JsonNode version = body.get("version");
        if (version == null || !version.isIntegralNumber() || !version.canConvertToLong() || version.longValue() < 0) {
            problems.add(new Violation("/version", "version must be the integer version applied (0 or more)"));
        }
        final JsonNode checksum = body.get("checksum");
        if (checksum == null || !checksum.isTextual() || !AppliedReport.isValidChecksum(checksum.textValue())) {
            problems.add(new Violation(
                    "/checksum",
                    "checksum must be the checksum config/updated gave with that version: "
                            + AppliedReport.CHECKSUM_RULE));
        }
        final JsonNode ok = body.get("ok");
        if (ok == null || !ok.isBoolean()) {
            problems.add(new Violation("/ok", "ok must be true or false: whether applying the version worked"));
        }
        final JsonNode error = body.get("error");
        if (error != null && !error.isNull() && !error.isTextual()) {
            // any length the report's size allows: a traceback is what a failing service has to say
            problems.add(new Violation("/error", "error must be a string, or null"));
        }
        if (!problems.isEmpty()) {
            throw new RequestRejected(
                    new Rejected(service, ErrorCode.INVALID_REQUEST, "the report is malformed", problems, null));
        }
        final String text = error == null || error.isNull() ? null : error.textValue();
        return new AppliedReport(
                version.longValue(),
                checksum.textValue(),
                ok.booleanValue(),
                // kept for a person to read: clipped, and every character that could harm a topic, log or page escaped
                text == null ? null : ClientText.escape(text, AppliedReport.MAX_ERROR_CHARS));
    }
}
