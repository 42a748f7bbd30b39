package dev.configmanager.wire;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;

import java.util.List;

/**
 * A place inside a JSON document given as segments from the root: object keys, and array indices written as
 * decimal strings (how secret locations are given, see the schema's {@code writeOnly} fields).
 */
public final class JsonLocation {

    private JsonLocation() {}

    /** The value at {@code path} in {@code root}, or {@code null} when there is none. */
    public static @Nullable JsonNode at(final @Nullable JsonNode root, final List<String> path) {
        JsonNode node = root;
        for (final String segment : path) {
            node = node == null ? null : child(node, segment);
        }
        return node;
    }

    /** The member or element {@code segment} of {@code node}, or {@code null}. */
    public static @Nullable JsonNode child(final JsonNode node, final String segment) {
        if (node.isArray()) {
            try {
                return node.get(Integer.parseInt(segment));
            } catch (final NumberFormatException e) {
                return null;
            }
        }
        return node.get(segment);
    }
}
