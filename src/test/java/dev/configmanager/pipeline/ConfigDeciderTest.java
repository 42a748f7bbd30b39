package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.pipeline.ConfigDecider.Decision;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.ConfigResult.Accepted;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;
import dev.configmanager.wire.RequestOrigin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a request does to a service's current state, decided without a broker or a database. */
@Tag("unit")
class ConfigDeciderTest {

    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
    private final SchemaRegistry schemas = SchemaRegistry.empty();
    private final ConfigDecider decider = new ConfigDecider(schemas, ExtensionSettings.defaults());
    private final Map<Long, ConfigVersion> history = new HashMap<>();

    @Test
    void firstSetBecomesVersionOne() throws Exception {
        final Decision d = decide(request(Action.SET, "{\"a\":1}", null, 0), Optional.empty(), null);
        final Accepted a = assertInstanceOf(Accepted.class, d.result());
        assertEquals(1, a.version());
        assertEquals(CanonicalJson.sha256Hex("{\"a\":1}"), a.checksum());
        assertEquals("{\"a\":1}", d.newVersion().config());
    }

    @Test
    void staleExpectedVersionIsRejectedWithConflict() throws Exception {
        final Decision d = decide(request(Action.SET, "{\"a\":2}", 1L, 0), Optional.of(stored(2, "{\"a\":1}")), null);
        final Rejected r = assertInstanceOf(Rejected.class, d.result());
        assertEquals(ErrorCode.VERSION_CONFLICT, r.code());
        assertEquals(2L, r.currentVersion());
        assertNull(d.newVersion(), "nothing is written");
    }

    @Test
    void expectedVersionZeroMeansTheServiceMustNotExist() throws Exception {
        assertEquals(
                ErrorCode.VERSION_CONFLICT,
                ((Rejected) decide(request(Action.SET, "{}", 0L, 0), Optional.of(stored(1, "{}")), null)
                                .result())
                        .code());
        assertInstanceOf(
                Accepted.class,
                decide(request(Action.SET, "{}", 0L, 0), Optional.empty(), null).result());
    }

    @Test
    void theSameConfigAgainIsANoopThatWritesNothing() throws Exception {
        final Decision d = decide(
                request(Action.SET, "{\"b\":1,\"a\":2}", null, 0), Optional.of(stored(4, "{\"a\":2,\"b\":1}")), null);
        final Accepted a = assertInstanceOf(Accepted.class, d.result());
        assertTrue(a.noop());
        assertEquals(4, a.version());
        assertNull(d.newVersion());
    }

    @Test
    void patchMergesIntoTheCurrentConfig() throws Exception {
        final Decision d = decide(
                request(Action.PATCH, "{\"b\":null,\"c\":3}", null, 0),
                Optional.of(stored(1, "{\"a\":1,\"b\":2}")),
                null);
        assertEquals("{\"a\":1,\"c\":3}", d.newVersion().config());
        assertEquals(ConfigVersion.Change.PATCH, d.newVersion().change());
    }

    @Test
    void patchOfAServiceWithoutConfigIsNotFound() throws Exception {
        assertEquals(
                ErrorCode.NOT_FOUND,
                ((Rejected) decide(request(Action.PATCH, "{\"a\":1}", null, 0), Optional.empty(), null)
                                .result())
                        .code());
    }

    @Test
    void rollbackWritesTheOldConfigAsANewVersion() throws Exception {
        history.put(1L, stored(1, "{\"a\":1}"));
        final Decision d = decide(request(Action.ROLLBACK, null, null, 1), Optional.of(stored(2, "{\"a\":2}")), null);
        assertEquals(3, d.newVersion().version());
        assertEquals("{\"a\":1}", d.newVersion().config());
        assertEquals(
                ErrorCode.NOT_FOUND,
                ((Rejected) decide(request(Action.ROLLBACK, null, null, 9), Optional.of(stored(2, "{\"a\":2}")), null)
                                .result())
                        .code());
    }

    @Test
    void deleteIsATombstoneVersionAndASecondDeleteIsNotFound() throws Exception {
        final Decision d = decide(request(Action.DELETE, null, null, 0), Optional.of(stored(3, "{}")), null);
        assertTrue(d.newVersion().isDeleted());
        assertEquals(4, d.newVersion().version());
        assertEquals(
                ErrorCode.NOT_FOUND,
                ((Rejected) decide(request(Action.DELETE, null, null, 0), Optional.of(d.newVersion()), null)
                                .result())
                        .code());
    }

    @Test
    void contentPreparedBeforeASchemaChangeIsCheckedAgainstTheNewSchema() throws Exception {
        final ConfigRequest r = request(Action.SET, "{\"port\":\"eighty\"}", null, 0);
        final ConfigDecider.Content prepared = decider.prepare(r, Optional.empty());
        assertNotNull(prepared);
        assertNull(prepared.problem(), "valid while the service has no schema");
        schemas.install("svc", Json.parse("{\"type\":\"object\",\"properties\":{\"port\":{\"type\":\"integer\"}}}"));
        final Rejected rejected = assertInstanceOf(
                Rejected.class, decide(r, Optional.empty(), prepared).result());
        assertEquals(ErrorCode.SCHEMA_VIOLATION, rejected.code());
    }

    @Test
    void patchPreparedOnAnOlderVersionIsMergedAgainOnTheCurrentOne() throws Exception {
        final ConfigRequest r = request(Action.PATCH, "{\"b\":2}", null, 0);
        final ConfigDecider.Content prepared = decider.prepare(r, Optional.of(stored(1, "{\"a\":1}")));
        final Decision d = decide(r, Optional.of(stored(2, "{\"a\":5}")), prepared);
        assertEquals("{\"a\":5,\"b\":2}", d.newVersion().config());
    }

    private Decision decide(
            final ConfigRequest r, final Optional<ConfigVersion> current, final ConfigDecider.Content prepared)
            throws Exception {
        return decider.decide(
                r, current, (service, version) -> Optional.ofNullable(history.get(version)), NOW, prepared);
    }

    private static ConfigRequest request(
            final Action action, final String document, final Long expected, final long toVersion) throws Exception {
        final JsonNode doc = document == null ? null : Json.parse(document);
        return new ConfigRequest(action, "svc", doc, toVersion, expected, "req-1", "test", RequestOrigin.HTTP, null);
    }

    private static ConfigVersion stored(final long version, final String config) {
        return new ConfigVersion(
                "svc",
                version,
                ConfigVersion.Change.SET,
                config,
                CanonicalJson.sha256Hex(config),
                NOW,
                "test",
                null,
                RequestOrigin.HTTP);
    }
}
