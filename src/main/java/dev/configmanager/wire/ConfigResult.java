package dev.configmanager.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jspecify.annotations.Nullable;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What a config request came to: accepted (possibly as a no-op) or rejected with a code. */
public sealed interface ConfigResult {

    String service();

    /** The payload of the result envelope's {@code data}. */
    ObjectNode data();

    String envelopeType();

    record Accepted(String service, long version, String checksum, boolean noop) implements ConfigResult {

        @Override
        public ObjectNode data() {
            final ObjectNode data = Json.object();
            data.put("service", service);
            data.put("version", version);
            data.put("checksum", checksum);
            data.put("noop", noop);
            return data;
        }

        @Override
        public String envelopeType() {
            return "config.accepted";
        }
    }

    /**
     * @param currentVersion the service's current version, {@code null} when it has no config
     */
    record Rejected(
            String service,
            ErrorCode code,
            String message,
            List<Violation> details,
            @Nullable Long currentVersion) implements ConfigResult {

        public Rejected {
            details = List.copyOf(details);
        }

        public static Rejected of(final String service, final ErrorCode code, final String message) {
            return new Rejected(service, code, message, List.of(), null);
        }

        public Rejected withCurrentVersion(final @Nullable Long version) {
            return new Rejected(service, code, message, details, version);
        }

        @Override
        public ObjectNode data() {
            final ObjectNode data = Json.object();
            data.put("service", service);
            final ObjectNode error = data.putObject("error");
            error.put("code", code.wire());
            error.put("message", message);
            final var array = error.putArray("details");
            for (final Violation v : details) {
                array.addObject().put("path", v.path()).put("message", v.message());
            }
            if (currentVersion == null) {
                data.putNull("current_version");
            } else {
                data.put("current_version", currentVersion);
            }
            return data;
        }

        @Override
        public String envelopeType() {
            return "config.rejected";
        }
    }

    /**
     * A result read back from its {@link #data()} (as a shared store keeps the first answer to a request id).
     *
     * @throws IllegalArgumentException {@code data} is not the data of a result
     */
    static ConfigResult read(final JsonNode data) {
        final String service = data.path("service").asText("");
        if (!ServiceName.isValid(service)) {
            throw new IllegalArgumentException("a stored answer without a valid service");
        }
        final JsonNode error = data.get("error");
        if (error == null) {
            final JsonNode version = data.get("version");
            final JsonNode checksum = data.get("checksum");
            if (version == null || !version.canConvertToLong() || checksum == null || !checksum.isTextual()) {
                throw new IllegalArgumentException("a stored accepted answer without version or checksum");
            }
            return new Accepted(
                    service,
                    version.asLong(),
                    checksum.asText(),
                    data.path("noop").asBoolean());
        }
        final ErrorCode code;
        try {
            code = ErrorCode.valueOf(error.path("code").asText("").toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("a stored rejection with an unknown code", e);
        }
        final List<Violation> details = new ArrayList<>();
        for (final JsonNode d : error.path("details")) {
            details.add(
                    new Violation(d.path("path").asText(""), d.path("message").asText("")));
        }
        final JsonNode current = data.get("current_version");
        return new Rejected(
                service,
                code,
                error.path("message").asText(""),
                details,
                current == null || !current.canConvertToLong() ? null : current.asLong());
    }

    /** The result as the envelope sent to the requester; {@code id} is the request id. */
    default Envelope toEnvelope(final String requestId, final BigDecimal ts) {
        return new Envelope(requestId, envelopeType(), ts, Envelope.SOURCE, data());
    }
}
