package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.wire.Json;

import java.util.TreeSet;

/**
 * What changed between two configs, key by key: objects are compared field by field, anything else (arrays
 * included) as a whole value. Paths are JSON Pointers; keys come out sorted.
 */
final class ConfigDiff {

    private ConfigDiff() {
    }

    static ArrayNode between(final JsonNode from, final JsonNode to) {
        final ArrayNode changes = Json.MAPPER.createArrayNode();
        walk(from, to, "", changes);
        return changes;
    }

    private static void walk(final JsonNode from, final JsonNode to, final String path, final ArrayNode changes) {
        if (from != null && to != null && from.isObject() && to.isObject()) {
            final TreeSet<String> keys = new TreeSet<>();
            from.fieldNames().forEachRemaining(keys::add);
            to.fieldNames().forEachRemaining(keys::add);
            for (final String key : keys) {
                walk(from.get(key), to.get(key), path + "/" + key.replace("~", "~0").replace("/", "~1"), changes);
            }
            return;
        }
        if (from == null && to == null || from != null && from.equals(to)) {
            return;
        }
        final ObjectNode change = changes.addObject();
        change.put("path", path);
        change.put("op", from == null ? "added" : to == null ? "removed" : "changed");
        if (from != null) {
            change.set("from", from);
        }
        if (to != null) {
            change.set("to", to);
        }
    }
}
