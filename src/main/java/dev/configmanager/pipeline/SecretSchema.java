package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Where a schema puts secrets in a given config: every value a {@code "writeOnly": true} subschema applies to.
 * <p>
 * The walk follows the instance through {@code properties}, {@code patternProperties}, {@code additionalProperties},
 * {@code prefixItems} and {@code items} (also the older array form of {@code items} and {@code additionalItems}), local
 * {@code $ref}s ({@code #}, {@code #/$defs/...}, any JSON Pointer into the same document), and every branch of
 * {@code allOf}, {@code anyOf}, {@code oneOf}, {@code if}/{@code then}/{@code else} and {@code dependentSchemas}: a
 * value that any branch could call secret is treated as secret, whichever branch it validates against. Not followed:
 * {@code $ref}s by {@code $id} or {@code $anchor}, {@code $dynamicRef}, {@code unevaluated*}, {@code contains} and
 * {@code not}; mark a secret where it is declared instead.
 * <p>
 * The result are concrete locations (object keys and array indices, as strings), so sealing and masking work the same
 * on fields, array elements and whole sub-trees.
 */
final class SecretSchema {

    static final SecretSchema NONE = new SecretSchema(null);

    private static final String[] BRANCHES = {"allOf", "anyOf", "oneOf"};

    private final JsonNode root;
    private final Map<String, Pattern> patterns = new ConcurrentHashMap<>();

    private SecretSchema(final JsonNode root) {
        this.root = root;
    }

    /** The locator of a schema document; {@link #NONE} when it marks nothing {@code writeOnly}. */
    static SecretSchema of(final JsonNode schema) {
        return schema != null && marksWriteOnly(schema) ? new SecretSchema(schema) : NONE;
    }

    boolean isEmpty() {
        return root == null;
    }

    /** The locations of the secrets in {@code config}, outermost first; none inside another. */
    List<List<String>> locate(final JsonNode config) {
        if (root == null || config == null) {
            return List.of();
        }
        final Set<List<String>> found = new LinkedHashSet<>();
        walk(root, config, new ArrayList<>(), found, new HashMap<>());
        // a secret inside a secret is covered by the outer one
        final List<List<String>> outermost = new ArrayList<>();
        for (final List<String> path : found) {
            if (found.stream()
                    .noneMatch(other -> other.size() < path.size()
                            && path.subList(0, other.size()).equals(other))) {
                outermost.add(path);
            }
        }
        return outermost;
    }

    /**
     * Applies {@code schema} to the value at {@code path}. {@code applied} holds, per location, the subschemas already
     * applied there: each is applied once, which ends reference loops and keeps the work at most (subschemas × values)
     * however the combinators and references nest.
     */
    private void walk(
            final JsonNode schema,
            final JsonNode instance,
            final List<String> path,
            final Set<List<String>> found,
            final Map<List<String>, Set<JsonNode>> applied) {
        if (schema == null
                || !schema.isObject()
                || instance == null
                || !applied.computeIfAbsent(List.copyOf(path), p -> identitySet())
                        .add(schema)) {
            return;
        }
        if (schema.path("writeOnly").asBoolean(false)) {
            if (path.isEmpty()) {
                // the whole config: each of its members is a secret (a config itself is always an object)
                instance.fieldNames().forEachRemaining(name -> found.add(List.of(name)));
            } else {
                found.add(List.copyOf(path));
            }
            return;
        }
        final JsonNode ref = schema.get("$ref");
        if (ref != null && ref.isTextual()) {
            walk(resolve(ref.textValue()), instance, path, found, applied);
        }
        for (final String keyword : BRANCHES) {
            for (final JsonNode branch : schema.path(keyword)) {
                walk(branch, instance, path, found, applied);
            }
        }
        for (final String keyword : new String[] {"if", "then", "else"}) {
            walk(schema.get(keyword), instance, path, found, applied);
        }
        schema.path("dependentSchemas").elements().forEachRemaining(s -> walk(s, instance, path, found, applied));
        if (instance.isObject()) {
            walkMembers(schema, instance, path, found, applied);
        } else if (instance.isArray()) {
            walkElements(schema, instance, path, found, applied);
        }
    }

    private void walkMembers(
            final JsonNode schema,
            final JsonNode instance,
            final List<String> path,
            final Set<List<String>> found,
            final Map<List<String>, Set<JsonNode>> applied) {
        final JsonNode properties = schema.get("properties");
        final JsonNode patternProperties = schema.get("patternProperties");
        final JsonNode additional = schema.get("additionalProperties");
        final Iterator<Map.Entry<String, JsonNode>> members = instance.fields();
        while (members.hasNext()) {
            final Map.Entry<String, JsonNode> member = members.next();
            final String name = member.getKey();
            path.add(name);
            boolean matched = false;
            if (properties != null && properties.has(name)) {
                walk(properties.get(name), member.getValue(), path, found, applied);
                matched = true;
            }
            if (patternProperties != null) {
                final Iterator<Map.Entry<String, JsonNode>> pp = patternProperties.fields();
                while (pp.hasNext()) {
                    final Map.Entry<String, JsonNode> p = pp.next();
                    if (matches(pattern(p.getKey()), name)) {
                        walk(p.getValue(), member.getValue(), path, found, applied);
                        matched = true;
                    }
                }
            }
            if (!matched) {
                walk(additional, member.getValue(), path, found, applied);
            }
            path.remove(path.size() - 1);
        }
    }

    private void walkElements(
            final JsonNode schema,
            final JsonNode instance,
            final List<String> path,
            final Set<List<String>> found,
            final Map<List<String>, Set<JsonNode>> applied) {
        final JsonNode prefixItems = schema.get("prefixItems");
        final JsonNode items = schema.get("items");
        final JsonNode additionalItems = schema.get("additionalItems");
        for (int i = 0; i < instance.size(); i++) {
            final JsonNode element;
            if (prefixItems != null && prefixItems.isArray() && i < prefixItems.size()) {
                element = prefixItems.get(i);
            } else if (items != null && items.isArray()) {
                element = i < items.size() ? items.get(i) : additionalItems; // the form before 2020-12
            } else {
                element = items;
            }
            path.add(Integer.toString(i));
            walk(element, instance.get(i), path, found, applied);
            path.remove(path.size() - 1);
        }
    }

    private static Set<JsonNode> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }

    /** A local reference: {@code #} or a JSON Pointer into this document; anything else is not followed. */
    private JsonNode resolve(final String ref) {
        if (ref.equals("#")) {
            return root;
        }
        if (!ref.startsWith("#/")) {
            return null;
        }
        JsonNode node = root;
        for (final String raw : ref.substring(2).split("/", -1)) {
            final String segment = java.net.URLDecoder.decode(
                            raw.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8)
                    .replace("~1", "/")
                    .replace("~0", "~");
            node = node.isArray() ? node.path(parseIndex(segment)) : node.get(segment);
            if (node == null || node.isMissingNode()) {
                return null;
            }
        }
        return node;
    }

    private static int parseIndex(final String segment) {
        try {
            return Integer.parseInt(segment);
        } catch (final NumberFormatException e) {
            return -1;
        }
    }

    /**
     * A {@code patternProperties} key as a regular expression. One that does not compile matches every name: where
     * the schema's intent cannot be read, the secrets it declares are assumed everywhere it might apply.
     */
    private Pattern pattern(final String regex) {
        return patterns.computeIfAbsent(regex, r -> {
            try {
                return Pattern.compile(r);
            } catch (final PatternSyntaxException e) {
                return Pattern.compile("");
            }
        });
    }

    /**
     * A name matches within a bounded number of steps; one whose match would take longer is taken to match (its
     * value is then treated as secret): the bound keeps a backtracking pattern from stalling whoever locates secrets.
     */
    private static boolean matches(final Pattern pattern, final String name) {
        try {
            return BoundedRegex.find(pattern, name, BoundedRegex.STEPS_PER_VALIDATION);
        } catch (final BoundedRegex.BudgetSpent e) {
            return true;
        }
    }

    /** Whether {@code "writeOnly": true} appears anywhere: most schemas have no secrets and skip every walk. */
    private static boolean marksWriteOnly(final JsonNode node) {
        if (node.isObject()) {
            if (node.path("writeOnly").asBoolean(false)) {
                return true;
            }
            final Iterator<JsonNode> values = node.elements();
            while (values.hasNext()) {
                if (marksWriteOnly(values.next())) {
                    return true;
                }
            }
        } else if (node.isArray()) {
            for (final JsonNode element : node) {
                if (marksWriteOnly(element)) {
                    return true;
                }
            }
        }
        return false;
    }
}
