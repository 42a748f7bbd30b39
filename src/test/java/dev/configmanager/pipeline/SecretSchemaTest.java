package dev.configmanager.pipeline;

import dev.configmanager.wire.Json;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("unit")
class SecretSchemaTest {

    private static List<List<String>> locate(final String schema, final String config) throws Exception {
        return SecretSchema.of(Json.parse(schema)).locate(Json.parse(config));
    }

    @Test
    void aSchemaWithoutWriteOnlyLocatesNothing() throws Exception {
        assertTrue(SecretSchema.of(Json.parse("{\"properties\": {\"a\": {\"type\": \"string\"}}}"))
                .isEmpty());
    }

    @Test
    void fieldsArrayElementsAndMapValuesAreFound() throws Exception {
        final String schema = """
                {"properties": {
                   "key": {"writeOnly": true},
                   "list": {"items": {"properties": {"token": {"writeOnly": true}}}},
                   "pair": {"prefixItems": [{}, {"writeOnly": true}], "items": {"writeOnly": true}},
                   "map": {"additionalProperties": {"writeOnly": true}, "properties": {"open": {}}},
                   "pp": {"patternProperties": {"^s_": {"writeOnly": true}}}}}""";
        assertEquals(
                List.of(
                        List.of("key"),
                        List.of("list", "0", "token"),
                        List.of("list", "1", "token"),
                        List.of("pair", "1"),
                        List.of("pair", "2"),
                        List.of("map", "hidden"),
                        List.of("pp", "s_1")),
                locate(schema, """
                        {"key": "k", "list": [{"token": "a"}, {"token": "b", "x": 1}], "pair": ["n", "s", "t"],
                         "map": {"open": "o", "hidden": "h"}, "pp": {"s_1": "x", "plain": "y"}}"""));
    }

    @Test
    void localReferencesAndEveryBranchOfACombinatorAreFollowed() throws Exception {
        final String schema = """
                {"$defs": {"cred": {"properties": {"password": {"writeOnly": true}}}},
                 "properties": {
                   "login": {"$ref": "#/$defs/cred"},
                   "either": {"oneOf": [{"type": "integer"}, {"type": "string", "writeOnly": true}]},
                   "both": {"allOf": [{"properties": {"a": {"writeOnly": true}}}, {"properties": {"b": {}}}]},
                   "cond": {"if": {"type": "object"}, "then": {"properties": {"c": {"writeOnly": true}}}}}}""";
        assertEquals(
                List.of(List.of("login", "password"), List.of("either"), List.of("both", "a"), List.of("cond", "c")),
                locate(schema, """
                {"login": {"user": "u", "password": "p"}, "either": 5, "both": {"a": 1, "b": 2},
                 "cond": {"c": 3}}"""));
    }

    @Test
    void aSecretSubTreeIsOneLocationAndAWriteOnlyRootMakesEveryMemberSecret() throws Exception {
        assertEquals(
                List.of(List.of("deep")),
                locate(
                        "{\"properties\": {\"deep\": {\"writeOnly\": true, \"properties\": {\"x\": {\"writeOnly\": true}}}}}",
                        "{\"deep\": {\"x\": 1, \"y\": 2}}"));
        assertEquals(List.of(List.of("a"), List.of("b")), locate("{\"writeOnly\": true}", "{\"a\": 1, \"b\": [2]}"));
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void referenceLoopsAndNestedCombinatorsEndQuickly() throws Exception {
        // each level would double the work if a subschema were applied to the same value more than once
        final String schema = """
                {"allOf": [{"$ref": "#"}, {"$ref": "#"}], "anyOf": [{"$ref": "#/$defs/n"}, {"$ref": "#/$defs/n"}],
                 "$defs": {"n": {"allOf": [{"$ref": "#"}], "properties": {"s": {"writeOnly": true}}}},
                 "additionalProperties": {"$ref": "#"}}""";
        final StringBuilder config = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            config.append("{\"n").append(i).append("\": ");
        }
        config.append("{\"s\": \"x\"}").append("}".repeat(30));
        final List<List<String>> found = locate(schema, config.toString());
        assertEquals(1, found.size(), found.toString());
        assertEquals(31, found.get(0).size(), "n0 … n29, then s");
    }

    @Test
    void aPatternThatDoesNotCompileIsAssumedToMatch() throws Exception {
        assertEquals(
                List.of(List.of("m", "anything")),
                locate(
                        "{\"properties\": {\"m\": {\"patternProperties\": {\"([\": {\"writeOnly\": true}}}}}",
                        "{\"m\": {\"anything\": 1}}"));
    }
}
