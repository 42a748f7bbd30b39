package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/** The console never shows a secret: values at a service's secret paths are replaced before anything is sent. */
final class SecretMask {

    static final String MASK = "********";

    private SecretMask() {
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
