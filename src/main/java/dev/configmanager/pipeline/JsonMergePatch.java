package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.wire.Json;

import java.util.Iterator;
import java.util.Map;

/** RFC 7386 JSON Merge Patch: objects merge key by key, {@code null} removes a key, anything else replaces. */
public final class JsonMergePatch {

    private JsonMergePatch() {}

    /** Returns the patched document; {@code target} is not modified. */
    public static JsonNode apply(final JsonNode target, final JsonNode patch) {
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        final ObjectNode result =
                target != null && target.isObject() ? ((ObjectNode) target).deepCopy() : Json.object();
        final Iterator<Map.Entry<String, JsonNode>> fields = patch.fields();
        while (fields.hasNext()) {
            final Map.Entry<String, JsonNode> field = fields.next();
            if (field.getValue().isNull()) {
                result.remove(field.getKey());
            } else {
                result.set(field.getKey(), apply(result.get(field.getKey()), field.getValue()));
            }
        }
        return result;
    }
}
