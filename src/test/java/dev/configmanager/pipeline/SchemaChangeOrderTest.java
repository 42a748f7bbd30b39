package dev.configmanager.pipeline;

import com.codahale.metrics.MetricRegistry;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.config.TopicLayout.RequestTopic;
import dev.configmanager.store.AuditRecord;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.H2ConfigStore;
import dev.configmanager.store.StoreStatusListener;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.store.WriteRefusedException;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigResult.Accepted;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A schema set by an administrator takes its place in the writer's order: a config queued before it is decided
 * without it, one queued after it is validated against it, and the audit log shows them in that order. The writer is
 * held inside a commit (a real H2 store behind a latch) while the three are queued.
 */
class SchemaChangeOrderTest {

    private static final String PORT_IS_INTEGER =
            "{\"type\":\"object\",\"properties\":{\"port\":{\"type\":\"integer\"}}}";

    @TempDir
    Path dir;

    @Test
    void aSchemaChangeAppliesToRequestsQueuedAfterItAndNotBefore() throws Exception {
        final CountDownLatch inCommit = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        try (H2ConfigStore h2 = H2ConfigStore.open(dir.resolve("cm"), 10_000)) {
            final ConfigPipeline pipeline = new ConfigPipeline(
                    ExtensionSettings.defaults(),
                    new HeldStore(h2, inCommit, release),
                    SchemaRegistry.empty(),
                    v -> CompletableFuture.completedFuture(null),
                    new MetricRegistry(),
                    Clock.systemUTC(),
                    new StoreStatusListener() {
                        @Override
                        public void storeAvailable() {}

                        @Override
                        public void storeUnavailable(final String reason) {}
                    });
            try {
                final var first = set(pipeline, "other", "{\"x\":1}");
                assertTrue(inCommit.await(10, TimeUnit.SECONDS), "the writer is inside the first commit");
                final var before = set(pipeline, "svc", "{\"port\":\"eighty\"}");
                final var schema = pipeline.submitSchema("svc", Json.parse(PORT_IS_INTEGER), "http:admin");
                final var after = set(pipeline, "svc", "{\"port\":\"ninety\"}");
                release.countDown();

                assertInstanceOf(Accepted.class, result(first));
                assertEquals(1, ((Accepted) result(before)).version(), "queued before the schema: stored");
                assertEquals(Optional.empty(), schema.get(10, TimeUnit.SECONDS), "the schema is in force");
                assertEquals(
                        ErrorCode.SCHEMA_VIOLATION,
                        ((Rejected) result(after)).code(),
                        "queued after the schema: validated against it");
                final List<String> order = h2.audit("svc", null, 10).stream()
                        .map(a -> a.action() + ":" + a.outcome())
                        .toList();
                assertEquals(
                        List.of("set:rejected", "schema:accepted", "set:accepted"),
                        order,
                        "newest first: the audit log shows the writer's order");
                assertEquals(
                        Map.of("svc", Json.parse(PORT_IS_INTEGER)),
                        Map.of("svc", Json.parse(h2.schemas().get("svc"))),
                        "stored durably");
            } finally {
                release.countDown();
                pipeline.close();
            }
        }
    }

    private static CompletableFuture<ConfigPipeline.Answer> set(
            final ConfigPipeline pipeline, final String service, final String config) {
        return pipeline.submitHttp(
                new RequestTopic(Action.SET, service),
                ByteBuffer.wrap(config.getBytes(StandardCharsets.UTF_8)),
                null,
                null,
                "http:test");
    }

    private static ConfigResult result(final CompletableFuture<ConfigPipeline.Answer> answer) throws Exception {
        return answer.get(10, TimeUnit.SECONDS).result();
    }

    /** The real store, with its first commit held until the test lets it go. */
    private record HeldStore(ConfigStore store, CountDownLatch inCommit, CountDownLatch release)
            implements ConfigStore {
        @Override
        public void commit(final List<ConfigVersion> versions, final List<AuditRecord> audit)
                throws StoreUnavailableException, WriteRefusedException {
            inCommit.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            store.commit(versions, audit);
        }

        @Override
        public String epoch() {
            return store.epoch();
        }

        @Override
        public Optional<ConfigVersion> current(final String service) throws StoreUnavailableException {
            return store.current(service);
        }

        @Override
        public List<ConfigVersion> allCurrent() throws StoreUnavailableException {
            return store.allCurrent();
        }

        @Override
        public Optional<ConfigVersion> version(final String service, final long version)
                throws StoreUnavailableException {
            return store.version(service, version);
        }

        @Override
        public List<ConfigVersion> history(final String service, final int limit) throws StoreUnavailableException {
            return store.history(service, limit);
        }

        @Override
        public List<AuditRecord> audit(final String service, final String outcome, final int limit)
                throws StoreUnavailableException {
            return store.audit(service, outcome, limit);
        }

        @Override
        public Map<String, String> schemas() throws StoreUnavailableException {
            return store.schemas();
        }

        @Override
        public void putSchema(final String service, final String schemaJson, final AuditRecord audit)
                throws StoreUnavailableException {
            store.putSchema(service, schemaJson, audit);
        }

        @Override
        public void close() {
            store.close();
        }
    }
}
