package dev.configmanager.pipeline;

import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.config.TopicLayout.RequestTopic;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigResult.Accepted;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 * held inside a commit (a store in memory behind a latch) while the three are queued.
 */
class SchemaChangeOrderTest {

    private static final String PORT_IS_INTEGER =
            "{\"type\":\"object\",\"properties\":{\"port\":{\"type\":\"integer\"}}}";

    @Test
    void aSchemaChangeAppliesToRequestsQueuedAfterItAndNotBefore() throws Exception {
        final CountDownLatch inCommit = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final MemoryStore store = new MemoryStore();
        store.holdNextCommit(inCommit, release);
        final ConfigPipeline pipeline = Pipelines.on(store);
        try {
            final var first = set(pipeline, "other", "{\"x\":1}");
            assertTrue(inCommit.await(10, TimeUnit.SECONDS), "the writer is inside the first commit");
            final var before = set(pipeline, "svc", "{\"port\":\"eighty\"}");
            final var schema = pipeline.schemaChanges().submit("svc", Json.parse(PORT_IS_INTEGER), "http:admin");
            final var after = set(pipeline, "svc", "{\"port\":\"ninety\"}");
            release.countDown();

            assertInstanceOf(Accepted.class, result(first));
            assertEquals(1, ((Accepted) result(before)).version(), "queued before the schema: stored");
            assertEquals(Optional.empty(), schema.done().get(10, TimeUnit.SECONDS), "the schema is in force");
            assertEquals(
                    ErrorCode.SCHEMA_VIOLATION,
                    ((Rejected) result(after)).code(),
                    "queued after the schema: validated against it");
            final List<String> order = store.audit("svc", null, 10).stream()
                    .map(a -> a.action() + ":" + a.outcome())
                    .toList();
            assertEquals(
                    List.of("set:rejected", "schema:accepted", "set:accepted"),
                    order,
                    "newest first: the audit log shows the writer's order");
            assertEquals(
                    Map.of("svc", Json.parse(PORT_IS_INTEGER)),
                    Map.of("svc", Json.parse(store.schemas().get("svc"))),
                    "stored");
        } finally {
            release.countDown();
            pipeline.close();
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
}
