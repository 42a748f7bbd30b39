package dev.configmanager.store;

import dev.configmanager.support.PostgresExtension;
import dev.configmanager.support.PostgresServer;
import dev.configmanager.wire.RequestOrigin;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two stores on one real PostgreSQL database, as two brokers hold them: what is committed through one reaches the
 * other through the change feed, in order and once, also when the feed's connection is killed or the server restarts
 * while writes go on.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ChangeFeedTest {

    @RegisterExtension
    static final PostgresExtension server = new PostgresExtension();

    private static final AtomicInteger databases = new AtomicInteger();

    private PostgresServer postgres;

    @BeforeEach
    void server() {
        postgres = server.server();
    }

    @Test
    void aVersionCommittedThroughOneBrokerReachesTheOther() throws Exception {
        final String url = postgres.createDatabase("feed_" + databases.incrementAndGet());
        try (SqlConfigStore a = open(url);
                SqlConfigStore b = open(url)) {
            final List<ConfigVersion> seen = new CopyOnWriteArrayList<>();
            try (AutoCloseable following = b.follow(seen::add)) {
                final ConfigVersion v1 = version("svc", 1);
                a.commit(List.of(v1), List.of());
                awaitVersions(seen, 1);
                assertEquals(List.of(v1), seen, "the version as stored, delivered once");
            }
        }
    }

    @Test
    void aKilledFeedConnectionAndAServerRestartLoseNoChange() throws Exception {
        final String url = postgres.createDatabase("feed_" + databases.incrementAndGet());
        try (SqlConfigStore a = open(url);
                SqlConfigStore b = open(url)) {
            final List<ConfigVersion> seen = new CopyOnWriteArrayList<>();
            try (AutoCloseable following = b.follow(seen::add)) {
                // one service per change: versions of one service read together are delivered as the newest only
                for (long n = 1; n <= 30; n++) {
                    a.commit(List.of(version("svc-" + n, 1)), List.of());
                    if (n == 10) {
                        try (Connection c = postgres.connect()) {
                            c.createStatement()
                                    .execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                            + "WHERE application_name = 'config-manager-feed'");
                        }
                    }
                    if (n == 20) {
                        awaitVersions(seen, 20); // the feed is connected again when the server goes
                        postgres.stop();
                        postgres.startServer();
                        n++;
                        commitOnceBack(a, version("svc-" + n, 1));
                    }
                }
                awaitVersions(seen, 30);
                assertEquals(
                        LongStream.rangeClosed(1, 30).mapToObj(n -> "svc-" + n).toList(),
                        seen.stream().map(ConfigVersion::service).toList(),
                        "every change, in order, once");
            }
        }
    }

    /** The writer's connection died with the server: the store reopens it after its backoff. */
    private static void commitOnceBack(final SqlConfigStore store, final ConfigVersion v) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                store.commit(List.of(v), List.of());
                return;
            } catch (final StoreUnavailableException e) {
                assertTrue(System.nanoTime() < deadline, "the store did not come back: " + e.getMessage());
                Thread.sleep(200);
            }
        }
    }

    @Test
    void aFollowerBehindByABurstGetsEachServicesNewestVersionOnceAndNeverOlder() throws Exception {
        final String url = postgres.createDatabase("feed_" + databases.incrementAndGet());
        try (SqlConfigStore a = open(url);
                SqlConfigStore b = open(url)) {
            final List<ConfigVersion> seen = new CopyOnWriteArrayList<>();
            try (AutoCloseable following = b.follow(seen::add)) {
                // one commit holding a burst: the follower reads it as one page
                a.commit(
                        List.of(version("svc", 1), version("other", 1), version("svc", 2), version("svc", 3)),
                        List.of());
                awaitVersions(seen, 2);
                Thread.sleep(300);
                assertEquals(
                        List.of("other v1", "svc v3"),
                        seen.stream().map(v -> v.service() + " v" + v.version()).toList(),
                        "the newest of each, in the order of their newest change");
                a.commit(List.of(version("svc", 4)), List.of());
                awaitVersions(seen, 3);
                assertEquals(4, seen.get(2).version());
            }
        }
    }

    @Test
    void aFollowerBehindByMoreThanAPageGetsEveryChangeInOrder() throws Exception {
        final String url = postgres.createDatabase("feed_" + databases.incrementAndGet());
        try (SqlConfigStore a = open(url);
                SqlConfigStore b = open(url)) {
            final List<ConfigVersion> seen = new CopyOnWriteArrayList<>();
            try (AutoCloseable following = b.follow(seen::add)) {
                // one commit of two pages and a bit: the feed reads on until a page comes back short
                final int count = 2 * ChangeLog.PAGE + 7;
                final List<String> services = IntStream.range(0, count)
                        .mapToObj(i -> "svc-%04d".formatted(i))
                        .toList();
                a.commit(services.stream().map(s -> version(s, 1)).toList(), List.of());
                awaitVersions(seen, count);
                Thread.sleep(300);
                assertEquals(
                        services,
                        seen.stream().map(ConfigVersion::service).toList(),
                        "every change, in revision order, once");
            }
        }
    }

    private static void awaitVersions(final List<ConfigVersion> seen, final int count) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (seen.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(seen.size() >= count, "delivered " + seen.size() + " of " + count);
    }

    private SqlConfigStore open(final String url) throws StoreUnavailableException {
        return PostgresConfigStore.open(url, PostgresServer.USER, postgres.password(), 10_000);
    }

    private static ConfigVersion version(final String service, final long n) {
        return new ConfigVersion(
                service,
                n,
                ConfigVersion.Change.SET,
                "{\"n\":" + n + "}",
                "%064x".formatted(n),
                Instant.now().truncatedTo(ChronoUnit.MILLIS),
                "mqtt:a",
                null,
                RequestOrigin.MQTT);
    }
}
