package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/** The console never shows a secret: values at a service's secret paths are replaced before anything is sent. */
final class SecretMask {

    static final String MASK = "********";

    private SecretMask() {
    }

    /**
     * What the console sends back is what it showed: a secret still reading {@link #MASK} means "unchanged", so it
     * is replaced by the stored value (or dropped when there is none) before the write.
     */
    static void restore(final JsonNode edited, final JsonNode stored, final List<List<String>> secretPaths) {
        for (final List<String> path : secretPaths) {
            JsonNode parent = edited;
            JsonNode storedParent = stored;
            for (int i = 0; i < path.size() - 1 && parent != null; i++) {
                parent = parent.get(path.get(i));
                storedParent = storedParent == null ? null : storedParent.get(path.get(i));
            }
            final String field = path.get(path.size() - 1);
            if (parent instanceof ObjectNode object && MASK.equals(object.path(field).textValue())) {
                final JsonNode original = storedParent == null ? null : storedParent.get(field);
                if (original == null) {
                    object.remove(field);
                } else {
                    object.set(field, original.deepCopy());
                }
            }
        }
    }

    /** A copy of {@code config} with every present, non-null secret replaced by {@link #MASK}. */
    static JsonNode apply(final JsonNode config, final List<List<String>> secretPaths) {
        if (config == null || secretPaths.isEmpty()) {
            return config;
        }
        final JsonNode copy = config.deepCopy();
        for (final List<String> path : secretPaths) {
            JsonNode parent = copy;
            for (int i = 0; i < path.size() - 1 && parent != null; i++) {
                parent = parent.get(path.get(i));
            }
            final String field = path.get(path.size() - 1);
            if (parent instanceof ObjectNode object && object.hasNonNull(field)) {
                object.put(field, MASK);
            }
        }
        return copy;
    }
}
