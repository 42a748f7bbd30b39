package dev.configmanager.store;

import dev.configmanager.support.PostgresExtension;
import dev.configmanager.support.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The publisher role on a real PostgreSQL server: one holder among brokers at a time, and when the holder's session
 * ends (it stops, or its connection is killed) another takes it over within seconds and is told so.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PublisherRoleTest {

    @RegisterExtension
    static final PostgresExtension server = new PostgresExtension();

    @Test
    void oneBrokerHoldsTheRoleAndAnotherTakesItOverWhenItsSessionEnds() throws Exception {
        final PostgresServer postgres = server.server();
        final String url = postgres.createDatabase("role");
        final String password = postgres.password();
        final AtomicInteger takenByA = new AtomicInteger();
        final AtomicInteger takenByB = new AtomicInteger();
        final AtomicInteger takenByC = new AtomicInteger();
        final PublisherRole a = PostgresConfigStore.publisherRole(url, PostgresServer.USER, password);
        a.whenTaken(takenByA::incrementAndGet);
        await(a::held, "the first broker takes the role");
        final PublisherRole b = PostgresConfigStore.publisherRole(url, PostgresServer.USER, password);
        b.whenTaken(takenByB::incrementAndGet);
        final PublisherRole c = PostgresConfigStore.publisherRole(url, PostgresServer.USER, password);
        c.whenTaken(takenByC::incrementAndGet);
        try {
            Thread.sleep(3 * PublisherRole.CHECK_MILLIS);
            assertTrue(a.held());
            assertEquals(1, held(List.of(a, b, c)), "one holder");

            a.close(); // a broker that stops gives the role up
            await(() -> b.held() || c.held(), "another takes it over");
            assertEquals(1, held(List.of(a, b, c)));
            final PublisherRole holder = b.held() ? b : c;

            // the holder's session is killed (its process died, its connection broke): the server releases the role
            try (Connection db = DriverManager.getConnection(url, PostgresServer.USER, password);
                    ResultSet rs = db.createStatement()
                            .executeQuery("SELECT pg_terminate_backend(pid) FROM pg_locks "
                                    + "WHERE locktype = 'advisory' AND granted")) {
                assertTrue(rs.next(), "the role is an advisory lock held by one session");
            }
            final PublisherRole other = holder == b ? c : b;
            await(other::held, "the remaining broker takes it over");
            Thread.sleep(3 * PublisherRole.CHECK_MILLIS);
            assertEquals(1, held(List.of(a, b, c)), "and the killed one does not hold it too once it reconnects");
            assertEquals(1, takenByA.get());
            assertEquals(1, (holder == b ? takenByC : takenByB).get(), "the new holder was told once");
        } finally {
            a.close();
            b.close();
            c.close();
        }
    }

    private static int held(final List<PublisherRole> roles) {
        return (int) roles.stream().filter(PublisherRole::held).count();
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never happened: " + what);
            }
            Thread.sleep(50);
        }
    }
}
