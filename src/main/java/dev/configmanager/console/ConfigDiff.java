package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.wire.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * What changed between two configs, key by key: objects are compared field by field, anything else (arrays
 * included) as a whole value. Paths are JSON Pointers; keys come out sorted. Every value a change carries is masked
 * with the secrets of the version it comes from, so a diff never shows a secret, whether the change is a field, a
 * sub-tree holding one, or a whole config (a diff against a deletion).
 */
final class ConfigDiff {

    private ConfigDiff() {}

    /** @param fromSecrets where {@code from} holds secrets; {@code toSecrets} likewise for {@code to} */
    static ArrayNode between(
            final JsonNode from,
            final JsonNode to,
            final List<List<String>> fromSecrets,
            final List<List<String>> toSecrets) {
        final ArrayNode changes = Json.MAPPER.createArrayNode();
        walk(from, to, new ArrayList<>(), changes, fromSecrets, toSecrets);
        return changes;
    }

    private static void walk(
            final JsonNode from,
            final JsonNode to,
            final List<String> path,
            final ArrayNode changes,
            final List<List<String>> fromSecrets,
            final List<List<String>> toSecrets) {
        if (from != null && to != null && from.isObject() && to.isObject()) {
            final TreeSet<String> keys = new TreeSet<>();
            from.fieldNames().forEachRemaining(keys::add);
            to.fieldNames().forEachRemaining(keys::add);
            for (final String key : keys) {
                path.add(key);
                walk(from.get(key), to.get(key), path, changes, fromSecrets, toSecrets);
                path.remove(path.size() - 1);
            }
            return;
        }
        if (from == null && to == null || from != null && from.equals(to)) {
            return;
        }
        final ObjectNode change = changes.addObject();
        final StringBuilder pointer = new StringBuilder();
        path.forEach(key -> pointer.append('/').append(key.replace("~", "~0").replace("/", "~1")));
        change.put("path", pointer.toString());
        change.put("op", from == null ? "added" : to == null ? "removed" : "changed");
        if (from != null) {
            change.set("from", SecretMask.mask(from, path, fromSecrets));
        }
        if (to != null) {
            change.set("to", SecretMask.mask(to, path, toSecrets));
        }
    }
}
