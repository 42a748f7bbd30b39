package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.configmanager.wire.JsonLocation;

import java.util.List;

/**
 * The console never shows a secret. Every config value the API sends, whole documents, history, the sub-trees of a
 * diff, goes through {@link #mask}: given where in the config the value sits and where the config's secrets are (from
 * its schema: fields, array elements, whole sub-trees), it replaces each secret inside the value by {@link #MASK}, and
 * the whole value when it lies inside a secret.
 */
final class SecretMask {

    static final String MASK = "********";
    private static final TextNode MASK_NODE = TextNode.valueOf(MASK);

    private SecretMask() {}

    /**
     * A copy of {@code value}, found at {@code at} in a config whose secrets are at {@code secrets}, with every
     * present, non-null secret replaced by {@link #MASK}. {@code value} itself is returned when it holds none.
     */
    static JsonNode mask(final JsonNode value, final List<String> at, final List<List<String>> secrets) {
        if (value == null || value.isNull()) {
            return value;
        }
        JsonNode copy = null;
        for (final List<String> secret : secrets) {
            if (startsWith(at, secret)) {
                return MASK_NODE; // the value is a secret, or lies inside one
            }
            if (startsWith(secret, at)) {
                if (copy == null) {
                    copy = value.deepCopy();
                }
                replace(copy, secret.subList(at.size(), secret.size()));
            }
        }
        return copy == null ? value : copy;
    }

    /**
     * What the console sends back is what it showed: a secret still reading {@link #MASK} means "unchanged", so it is
     * replaced by the stored value at the same place (or dropped from its object when there is none) before the write.
     *
     * @param secrets where {@code edited} holds secrets
     */
    static void restore(final JsonNode edited, final JsonNode stored, final List<List<String>> secrets) {
        for (final List<String> path : secrets) {
            final JsonNode parent = JsonLocation.at(edited, path.subList(0, path.size() - 1));
            final String last = path.get(path.size() - 1);
            final JsonNode shown = parent == null ? null : JsonLocation.child(parent, last);
            if (shown == null || !MASK.equals(shown.textValue())) {
                continue;
            }
            final JsonNode original = JsonLocation.at(stored, path);
            if (parent instanceof ObjectNode object) {
                if (original == null) {
                    object.remove(last);
                } else {
                    object.set(last, original.deepCopy());
                }
            } else if (parent instanceof ArrayNode array && original != null) {
                array.set(Integer.parseInt(last), original.deepCopy());
            }
        }
    }

    private static void replace(final JsonNode root, final List<String> path) {
        final JsonNode parent = JsonLocation.at(root, path.subList(0, path.size() - 1));
        final String last = path.get(path.size() - 1);
        final JsonNode value = parent == null ? null : JsonLocation.child(parent, last);
        if (value == null || value.isNull()) {
            return;
        }
        if (parent instanceof ObjectNode object) {
            object.set(last, MASK_NODE);
        } else if (parent instanceof ArrayNode array) {
            array.set(Integer.parseInt(last), MASK_NODE);
        }
    }

    /** Whether {@code path} is {@code prefix} or lies below it. */
    private static boolean startsWith(final List<String> path, final List<String> prefix) {
        return path.size() >= prefix.size() && path.subList(0, prefix.size()).equals(prefix);
    }
}
