package dev.configmanager.store;

import dev.configmanager.pipeline.SchemaRegistry;
import dev.configmanager.wire.Json;
import dev.configmanager.wire.RequestOrigin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Schemas set through the console live in the H2 file and are in force again after a restart. */
class StoredSchemasTest {

    @TempDir
    Path dir;

    @Test
    void storedSchemaSurvivesReopeningAndOverridesNothingElse() throws Exception {
        final Path file = dir.resolve("db/config-manager");
        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000)) {
            store.putSchema(
                    "svc",
                    "{\"type\":\"object\",\"properties\":{\"n\":{\"maximum\":3}}}",
                    new AuditRecord(
                            Instant.now(),
                            "svc",
                            "schema",
                            RequestOrigin.HTTP,
                            "http:root",
                            null,
                            "accepted",
                            null,
                            null,
                            null));
        }
        try (SqlConfigStore reopened = H2ConfigStore.open(file, 10_000)) {
            final Map<String, String> stored = reopened.schemas();
            assertEquals(1, stored.size());
            final SchemaRegistry registry = SchemaRegistry.empty();
            registry.applyStored(stored);
            assertEquals(
                    "/n",
                    registry.validate("svc", Json.parse("{\"n\":4}")).get(0).path());
            assertTrue(registry.validate("svc", Json.parse("{\"n\":2}")).isEmpty());
            assertTrue(registry.validate("other", Json.parse("{\"n\":4}")).isEmpty(), "other services unaffected");
            assertEquals("schema", reopened.audit("svc", null, 10).get(0).action());
        }
    }
}
