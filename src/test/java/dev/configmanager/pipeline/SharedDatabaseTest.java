package dev.configmanager.pipeline;

import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.config.TopicLayout.RequestTopic;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.PostgresConfigStore;
import dev.configmanager.store.SqlConfigStore;
import dev.configmanager.support.PostgresExtension;
import dev.configmanager.support.PostgresServer;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigResult.Accepted;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two pipelines, as two brokers would run them, on one PostgreSQL database: the database decides who wins a version,
 * not either broker's memory. Writers racing on both with {@code expected_version} get one winner per version, no
 * gaps, and every loser a version conflict, never an internal error.
 */
class SharedDatabaseTest {

    @RegisterExtension
    static final PostgresExtension server = new PostgresExtension();

    private static final int WRITERS_PER_BROKER = 4;
    private static final int ATTEMPTS = 25;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void writersRacingOnTwoBrokersGetOneWinnerPerVersion() throws Exception {
        final PostgresServer postgres = server.server();
        try (SqlConfigStore storeA = open(postgres);
                SqlConfigStore storeB = open(postgres)) {
            final ConfigPipeline a = Pipelines.on(storeA);
            final ConfigPipeline b = Pipelines.on(storeB);
            final Map<Long, String> winners = new ConcurrentHashMap<>();
            final Map<String, Integer> losses = new ConcurrentHashMap<>();
            final List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 2 * WRITERS_PER_BROKER; w++) {
                final boolean onA = w % 2 == 0;
                final String name = (onA ? "a" : "b") + w;
                writers.add(new Thread(() -> race(onA ? a : b, onA ? storeA : storeB, name, winners, losses)));
            }
            writers.forEach(Thread::start);
            for (final Thread t : writers) {
                t.join();
            }
            a.close();
            b.close();

            final List<ConfigVersion> history = storeA.history("raced", 10_000);
            final long latest = history.get(0).version();
            assertEquals(
                    LongStream.rangeClosed(1, latest).boxed().toList(),
                    history.stream().map(ConfigVersion::version).sorted().toList(),
                    "versions 1.." + latest + ", no gaps, none twice");
            assertEquals(latest, winners.size(), "one accepted answer per stored version");
            final Map<Long, String> stored = new TreeMap<>();
            history.forEach(v -> stored.put(v.version(), v.updatedBy()));
            assertEquals(stored, new TreeMap<>(winners), "each version is the one its winner was told it wrote");
            assertEquals(
                    Map.of("version_conflict", losses.getOrDefault("version_conflict", 0)),
                    losses,
                    "every loser lost on its expected version: " + losses);
            assertTrue(losses.getOrDefault("version_conflict", 0) > 0, "the writers did race");
        }
    }

    private static void race(
            final ConfigPipeline pipeline,
            final SqlConfigStore store,
            final String writer,
            final Map<Long, String> winners,
            final Map<String, Integer> losses) {
        try {
            for (int i = 0; i < ATTEMPTS; i++) {
                final long expected =
                        store.current("raced").map(ConfigVersion::version).orElse(0L);
                final String body = "{\"writer\":\"" + writer + "\",\"i\":" + i + "}";
                final ConfigResult result = pipeline.submitHttp(
                                new RequestTopic(Action.SET, "raced"),
                                ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)),
                                expected,
                                null,
                                "http:" + writer)
                        .get(30, TimeUnit.SECONDS)
                        .result();
                if (result instanceof Accepted accepted) {
                    final String previous = winners.put(accepted.version(), "http:" + writer);
                    if (previous != null) {
                        losses.merge("two winners of v" + accepted.version(), 1, Integer::sum);
                    }
                } else {
                    final ErrorCode code = ((Rejected) result).code();
                    losses.merge(code.wire(), 1, Integer::sum);
                }
            }
        } catch (final Exception e) {
            losses.merge("exception " + e, 1, Integer::sum);
        }
    }

    private static SqlConfigStore open(final PostgresServer postgres) throws Exception {
        return PostgresConfigStore.open(postgres.url(), PostgresServer.USER, postgres.password(), 10_000);
    }
}
