package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Violation;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What a stored config may hold: numbers every consumer reads the same way (64-bit integers, finite doubles) and text
 * that is valid Unicode (a surrogate escaped on its own, without its pair, would not survive UTF-8).
 */
final class StorableValues {

    private StorableValues() {}

    /** Every value of {@code document} that cannot be stored faithfully, each with its JSON Pointer. */
    static void check(final String service, final JsonNode document) throws RequestRejected {
        final List<Violation> values = new ArrayList<>();
        checkValues(document, Pointer.ROOT, values);
        if (!values.isEmpty()) {
            throw new RequestRejected(new Rejected(
                    service,
                    ErrorCode.INVALID_REQUEST,
                    "the document has values that cannot be stored faithfully",
                    values,
                    null));
        }
    }

    /**
     * A JSON Pointer built only when a problem is reported: a config of thousands of members would otherwise
     * concatenate a path string for every one of them.
     */
    private record Pointer(Pointer parent, String segment) {
        static final Pointer ROOT = new Pointer(null, null);

        Pointer child(final String key) {
            return new Pointer(this, key);
        }

        @Override
        public String toString() {
            return parent == null ? "" : parent + "/" + escapePointer(segment);
        }
    }

    private static void checkValues(final JsonNode node, final Pointer path, final List<Violation> problems) {
        if (node.isNumber()) {
            final boolean ok = node.isIntegralNumber() ? node.canConvertToLong() : Double.isFinite(node.doubleValue());
            if (!ok) {
                problems.add(new Violation(
                        path.toString(),
                        "number out of range: integers must fit in 64 bits, "
                                + "other numbers must be finite doubles"));
            }
        } else if (node.isTextual()) {
            if (hasUnpairedSurrogate(node.textValue())) {
                problems.add(new Violation(path.toString(), "string contains an unpaired surrogate"));
            }
        } else if (node.isObject()) {
            final Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                final var e = it.next();
                final Pointer child = path.child(e.getKey());
                if (hasUnpairedSurrogate(e.getKey())) {
                    problems.add(new Violation(child.toString(), "key contains an unpaired surrogate"));
                }
                checkValues(e.getValue(), child, problems);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                checkValues(node.get(i), path.child(Integer.toString(i)), problems);
            }
        }
    }

    private static boolean hasUnpairedSurrogate(final String s) {
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return true;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    static String escapePointer(final String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }
}
