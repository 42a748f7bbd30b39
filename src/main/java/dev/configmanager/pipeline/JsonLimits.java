package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Nesting depth, measured before any parser builds a tree, so a hostile document of a million brackets costs one
 * linear scan and no stack.
 */
public final class JsonLimits {

    private JsonLimits() {}

    /**
     * The deepest nesting of objects and arrays in {@code text}, ignoring brackets inside strings. Malformed text is
     * measured as far as it goes; the parser reports it afterwards.
     */
    public static int depth(final CharSequence text) {
        int depth = 0;
        int max = 0;
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
                if (depth > max) {
                    max = depth;
                }
            } else if (c == '}' || c == ']') {
                depth--;
            }
        }
        return max;
    }

    /** Depth of a parsed value: a scalar is 0, {@code {}} is 1. */
    public static int depth(final JsonNode node) {
        if (!node.isContainerNode()) {
            return 0;
        }
        int deepest = 0;
        for (final JsonNode child : node) {
            deepest = Math.max(deepest, depth(child));
        }
        return deepest + 1;
    }
}
