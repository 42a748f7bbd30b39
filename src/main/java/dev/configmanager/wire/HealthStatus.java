package dev.configmanager.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Set;

/**
 * A client's health as the existing services publish it: the {@code data} of a {@code health.status} envelope,
 * {@code {message_id, ok, event, err?, timestamp}} with {@code err} only when set.
 */
public record HealthStatus(String messageId, boolean ok, String event, String err, BigDecimal timestamp) {

    public static final String TYPE = "health.status";
    private static final Set<String> ENVELOPE_KEYS = Set.of("id", "type", "ts", "source", "data");
    private static final Set<String> DATA_KEYS = Set.of("message_id", "ok", "event", "err", "timestamp");

    public static HealthStatus of(final boolean ok, final String event, final String err, final BigDecimal now) {
        return new HealthStatus(Envelope.newId(), ok, event, err, now);
    }

    /** The retained message body: a fresh envelope from config-manager around this status. */
    public byte[] toEnvelopeBytes() {
        final ObjectNode data = Json.object();
        data.put("message_id", messageId);
        data.put("ok", ok);
        data.put("event", event);
        if (err != null) {
            data.put("err", err);
        }
        data.put("timestamp", timestamp);
        return new Envelope(Envelope.newId(), TYPE, timestamp, Envelope.SOURCE, data).toBytes();
    }

    /**
     * Whether a client-published health message keeps to the contract: exactly the five envelope keys, type
     * {@code health.status}, and data with only the health keys, correctly typed.
     */
    public static boolean isValidEnvelope(final JsonNode node) {
        if (node == null || !node.isObject() || !hasOnly(node, ENVELOPE_KEYS) || node.size() != ENVELOPE_KEYS.size()) {
            return false;
        }
        final JsonNode data = node.get("data");
        return node.get("id").isTextual()
                && TYPE.equals(node.get("type").textValue())
                && node.get("ts").isNumber()
                && node.get("source").isTextual()
                && data.isObject()
                && hasOnly(data, DATA_KEYS)
                && data.path("message_id").isTextual()
                && data.path("ok").isBoolean()
                && data.path("timestamp").isNumber()
                && (!data.has("event")
                        || data.get("event").isTextual()
                        || data.get("event").isNull())
                && (!data.has("err")
                        || data.get("err").isTextual()
                        || data.get("err").isNull());
    }

    private static boolean hasOnly(final JsonNode node, final Set<String> allowed) {
        final Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            if (!allowed.contains(names.next())) {
                return false;
            }
        }
        return true;
    }
}
