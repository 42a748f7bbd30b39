package dev.configmanager.store;

import dev.configmanager.support.PostgresExtension;
import dev.configmanager.support.PostgresServer;
import dev.configmanager.wire.HealthStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Presence on a real PostgreSQL server: what two brokers record is read by either, a broker that stops marks its
 * clients offline, a broker that stopped heartbeating makes its rows stale, and one that starts again ends what its
 * rows said from before.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SharedPresenceTest {

    @RegisterExtension
    static final PostgresExtension server = new PostgresExtension();

    @Test
    void everyBrokerSeesTheClientsOfAllAndAStoppedOrSilentBrokerIsNotBelieved() throws Exception {
        final PostgresServer postgres = server.server();
        final String url = postgres.createDatabase("presence");
        try (SqlConfigStore store = PostgresConfigStore.open(url, PostgresServer.USER, postgres.password(), 1_000)) {
            final SharedPresence a = store.presence("node-a").orElseThrow();
            final SharedPresence b = store.presence("node-b").orElseThrow();
            try {
                a.record("router-1", status(true, "connected"));
                b.record("stt-1", status(true, "connected"));
                b.record("tts-1", status(false, "connection_lost"));
                final Map<String, SharedPresence.ClientPresence> seen = await(a, rows -> rows.size() == 3);
                assertEquals("node-b", seen.get("stt-1").node());
                assertTrue(seen.get("stt-1").online());
                assertFalse(seen.get("tts-1").online());
                assertEquals("connection_lost", seen.get("tts-1").event());
                assertFalse(seen.get("router-1").brokerStale());

                // node-b falls silent (its heartbeat a minute old, as if its process was killed): not believed
                try (Connection c = DriverManager.getConnection(url, PostgresServer.USER, postgres.password())) {
                    c.createStatement()
                            .execute("UPDATE cm_broker SET heartbeat_at = CURRENT_TIMESTAMP - INTERVAL '1 minute' "
                                    + "WHERE node = 'node-b'");
                }
                final var afterSilence = byClient(a.clients());
                assertTrue(afterSilence.get("stt-1").brokerStale(), afterSilence.toString());
                assertFalse(afterSilence.get("router-1").brokerStale());
            } finally {
                b.close();
            }
            // node-b stopped cleanly: its clients are offline
            final var afterStop = byClient(a.clients());
            assertFalse(afterStop.get("stt-1").online());
            assertEquals("broker_stopped", afterStop.get("stt-1").event());

            // node-a is killed (not closed) and starts again: what its rows said is over
            try (Connection c = DriverManager.getConnection(url, PostgresServer.USER, postgres.password())) {
                assertEquals(
                        1,
                        c.createStatement()
                                .executeUpdate("UPDATE cm_presence SET online = TRUE WHERE client_id = 'router-1'"));
            }
            final SharedPresence restarted = store.presence("node-a").orElseThrow();
            try {
                final var afterRestart =
                        await(restarted, rows -> !rows.get("router-1").online());
                assertEquals("broker_restart", afterRestart.get("router-1").event());
            } finally {
                restarted.close();
                a.close();
            }
        }
    }

    private static HealthStatus status(final boolean ok, final String event) {
        return HealthStatus.of(
                ok, event, null, BigDecimal.valueOf(System.currentTimeMillis()).movePointLeft(3));
    }

    private static Map<String, SharedPresence.ClientPresence> byClient(final List<SharedPresence.ClientPresence> rows) {
        return rows.stream().collect(Collectors.toMap(SharedPresence.ClientPresence::clientId, r -> r));
    }

    private static Map<String, SharedPresence.ClientPresence> await(
            final SharedPresence presence, final Predicate<Map<String, SharedPresence.ClientPresence>> until)
            throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Map<String, SharedPresence.ClientPresence> rows = Map.of();
        while (System.nanoTime() < deadline) {
            rows = byClient(presence.clients());
            if (until.test(rows)) {
                return rows;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("presence never got there: " + rows);
    }
}
