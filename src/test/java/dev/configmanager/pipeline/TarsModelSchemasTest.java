package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.wire.Json;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped schemas of the six py-tars services mean what py-tars's pydantic models mean: a config the broker
 * accepts is one the service can apply. The expected outcomes in {@code vectors/tars-models.json} were made by
 * running the models themselves.
 */
@Tag("unit")
class TarsModelSchemasTest {

    /**
     * Values the models accept that the schemas refuse on purpose, each for a reason the README gives: pydantic's
     * lax mode takes strings (and booleans, and 0/1) for numbers and booleans; the schemas take each field's own JSON
     * type only, so that the stored config is already what the service applies.
     */
    private static boolean laxCoercion(final JsonNode value, final JsonNode fieldSchema) {
        final String type = fieldSchema.path("type").asText("");
        return switch (type) {
            case "integer", "number" -> value.isTextual() || value.isBoolean();
            case "boolean" -> !value.isBoolean();
            default -> false;
        };
    }

    /**
     * Values the models refuse that the schemas accept, because JSON Schema cannot say it: the router's boundary
     * regex is compiled by the service with Python's {@code re} (the broker checks its length only), and a WebSocket
     * URL is parsed by Python's {@code urlparse} (bracketed hosts).
     */
    private static final Map<String, Set<String>> NOT_EXPRESSIBLE = Map.of(
            "router_stream_boundary_regex", Set.of("[", "a{2,1}", "(?<x>a)", "(?<=a+)b", "\\p{L}"),
            "ws_url", Set.of("ws://[::1"));

    @Test
    void theShippedSchemasAcceptWhatThePyTarsModelsAcceptAndRefuseWhatTheyRefuse() throws Exception {
        final SchemaRegistry schemas = SchemaRegistry.load(Path.of("src/hivemq-extension/conf/schemas"));
        final JsonNode vectors;
        try (InputStream in = getClass().getResourceAsStream("/vectors/tars-models.json")) {
            vectors = Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        final List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (final JsonNode c : vectors.get("cases")) {
            final String service = c.get("service").asText();
            final String field = c.get("field").asText();
            final JsonNode value = c.get("value");
            final boolean modelAccepts = c.get("accepted").asBoolean();
            final ObjectNode config = Json.object();
            config.set(field, value);
            final boolean schemaAccepts = schemas.validate(service, config).isEmpty();
            if (schemaAccepts == modelAccepts) {
                checked++;
                continue;
            }
            final JsonNode fieldSchema =
                    schemas.document(service).orElseThrow().path("properties").path(field);
            final boolean excused = modelAccepts
                    ? laxCoercion(value, fieldSchema)
                    : value.isTextual()
                            && NOT_EXPRESSIBLE.getOrDefault(field, Set.of()).contains(value.asText());
            if (!excused) {
                wrong.add(service + " " + field + "=" + value + ": model " + (modelAccepts ? "accepts" : "refuses")
                        + ", schema " + (schemaAccepts ? "accepts" : "refuses"));
            }
        }
        assertEquals(List.of(), wrong);
        assertTrue(checked > 150, "most cases agree outright: " + checked);
    }
}
