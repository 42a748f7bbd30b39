package dev.configmanager.mqtt;

import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.Requester.Reply;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Optimistic concurrency under a real race: eight clients write one service, each naming the version it saw. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConcurrentWritersTest {

    private static final int WRITERS = 8;
    private static final int ROUNDS = 15;

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    @Test
    void racingWritersGetExactlyOneWinnerPerVersionAndAHistoryWithoutGaps() throws Exception {
        try (Requester seed = new Requester(broker.port(), "seed")) {
            assertTrue(seed.send("set", "raced", "{\"config\": {\"writer\": -1, \"round\": -1}}")
                    .accepted());
        }
        final Map<Long, String> winners = new ConcurrentHashMap<>();
        final AtomicInteger conflicts = new AtomicInteger();
        final AtomicInteger duplicateWins = new AtomicInteger();
        final CyclicBarrier barrier = new CyclicBarrier(WRITERS);
        final ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        final List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            final int writer = w;
            futures.add(pool.submit((Callable<Void>) () -> {
                try (Requester r = new Requester(broker.port(), "writer-" + writer)) {
                    long seen = 1;
                    for (int round = 0; round < ROUNDS; round++) {
                        barrier.await(30, TimeUnit.SECONDS);
                        final Reply reply = r.send(
                                "set",
                                "raced",
                                "{\"config\": {\"writer\": " + writer + ", \"round\": " + round
                                        + "}, \"expected_version\": " + seen + "}");
                        if (reply.accepted()) {
                            if (winners.putIfAbsent(reply.version(), "writer-" + writer) != null) {
                                duplicateWins.incrementAndGet();
                            }
                            seen = reply.version();
                        } else {
                            assertEquals(
                                    "version_conflict",
                                    reply.errorCode(),
                                    reply.envelope().toString());
                            conflicts.incrementAndGet();
                            seen = reply.data().get("current_version").asLong();
                        }
                    }
                }
                return null;
            }));
        }
        for (final Future<?> f : futures) {
            f.get(4, TimeUnit.MINUTES);
        }
        pool.shutdown();

        assertEquals(0, duplicateWins.get(), "no version was won twice");
        assertEquals(WRITERS * ROUNDS, winners.size() + conflicts.get(), "every request got exactly one answer");
        final long last = 1 + winners.size();
        for (long v = 2; v <= last; v++) {
            assertTrue(winners.containsKey(v), "version " + v + " has a winner");
        }
        assertTrue(conflicts.get() > 0, "the writers really raced");

        try (Connection db = broker.openDatabase();
                ResultSet rs = db.createStatement()
                        .executeQuery(
                                "SELECT version, updated_by FROM cm_history WHERE service = 'raced' ORDER BY version")) {
            long expected = 1;
            while (rs.next()) {
                assertEquals(expected, rs.getLong(1), "history has no gaps");
                if (expected > 1) {
                    assertEquals("mqtt:" + winners.get(expected), rs.getString(2));
                }
                expected++;
            }
            assertEquals(last + 1, expected, "history ends at the last winner");
        }
        assertEquals(
                last,
                RetainedReader.receiveJson(broker.port(), "config/updated/raced")
                        .get("version")
                        .asLong());
    }
}
