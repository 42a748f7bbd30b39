package dev.configmanager.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.util.UUID;

/**
 * The event envelope the existing services speak: exactly {@code id, type, ts, source, data}.
 *
 * @param id     32 lowercase hex chars, or the id of the request this answers
 * @param ts     Unix epoch seconds
 */
public record Envelope(String id, String type, BigDecimal ts, String source, JsonNode data) {

    public static final String SOURCE = "config-manager";

    public static String newId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    public byte[] toBytes() {
        final ObjectNode node = Json.object();
        node.put("id", id);
        node.put("type", type);
        node.put("ts", ts);
        node.put("source", source);
        node.set("data", data);
        return Json.bytes(node);
    }
}
