package dev.configmanager.store;

import dev.configmanager.wire.RequestOrigin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.configmanager.store.TestVersions.version;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's reads (every current config, history, audit) run beside the writer: on their own connection, never
 * under the lock commits take, and every audit filter the console offers is served by an index, on a real H2 file.
 */
class ConsoleReadsTest {

    @TempDir
    Path dir;

    @Test
    void consoleReadsNeverWaitForTheLockCommitsTake() throws Exception {
        try (SqlConfigStore store = H2ConfigStore.open(dir.resolve("db/cm"), 10_000)) {
            store.commit(List.of(version(1)), List.of(audit("svc", "accepted")));
            final CompletableFuture<Integer> reads;
            synchronized (store) { // what a commit in progress holds
                reads = CompletableFuture.supplyAsync(() -> {
                    try {
                        return store.audit("svc", "accepted", 10).size()
                                + store.history("svc", 10).size()
                                + store.allCurrent().size();
                    } catch (final StoreUnavailableException e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertEquals(3, reads.get(30, TimeUnit.SECONDS), "answered while the writer's lock was held");
            }
        }
    }

    @Test
    void everyAuditFilterIsServedByAnIndexOverAMillionLines() throws Exception {
        final Path file = dir.resolve("db/cm");
        try (SqlConfigStore store = H2ConfigStore.open(file, Integer.MAX_VALUE)) {
            try (Connection db = DriverManager.getConnection(H2ConfigStore.url(file))) {
                db.createStatement()
                        .execute("INSERT INTO cm_audit (at, service, action, origin, requester, "
                                + "outcome) SELECT CURRENT_TIMESTAMP, 'svc-' || MOD(X, 500), 'set', 'MQTT', 'mqtt:load', "
                                + "CASE WHEN MOD(X, 1000) = 0 THEN 'rejected' ELSE 'accepted' END "
                                + "FROM SYSTEM_RANGE(1, 1000000)");
                db.commit();
                for (final boolean[] filter : new boolean[][] {{true, false}, {false, true}, {true, true}}) {
                    final String plan = plan(db, ConfigTables.auditQuery(filter[0], filter[1]), filter);
                    assertTrue(plan.contains("CM_AUDIT_BY_SERVICE") || plan.contains("CM_AUDIT_BY_OUTCOME"), plan);
                }
            }
            // figures, not a verdict: what a write takes while the console reads a million-line audit log
            final AtomicBoolean reading = new AtomicBoolean(true);
            final List<Long> readNanos = new ArrayList<>();
            final CompletableFuture<Void> console = CompletableFuture.runAsync(() -> {
                while (reading.get()) {
                    final long started = System.nanoTime();
                    try {
                        store.audit("svc-7", "rejected", 100);
                        store.audit(null, "rejected", 1000);
                    } catch (final StoreUnavailableException e) {
                        throw new IllegalStateException(e);
                    }
                    synchronized (readNanos) {
                        readNanos.add(System.nanoTime() - started);
                    }
                }
            });
            final List<Long> writeNanos = new ArrayList<>();
            for (int v = 1; v <= 50; v++) {
                final long started = System.nanoTime();
                store.commit(List.of(version(v)), List.of(audit("svc", "accepted")));
                writeNanos.add(System.nanoTime() - started);
            }
            reading.set(false);
            console.get(60, TimeUnit.SECONDS);
            writeNanos.sort(null);
            synchronized (readNanos) {
                readNanos.sort(null);
                System.out.printf(
                        "ConsoleReadsTest: 1,000,000 audit lines; filtered audit reads p50 %.2f ms (%d); "
                                + "commits beside them p50 %.2f ms, max %.2f ms%n",
                        readNanos.get(readNanos.size() / 2) / 1e6,
                        readNanos.size(),
                        writeNanos.get(writeNanos.size() / 2) / 1e6,
                        writeNanos.get(writeNanos.size() - 1) / 1e6);
            }
            assertEquals(50, store.current("svc").orElseThrow().version());
        }
    }

    private static String plan(final Connection db, final String sql, final boolean[] filter) throws Exception {
        try (var s = db.prepareStatement("EXPLAIN " + sql)) {
            int i = 1;
            if (filter[0]) {
                s.setString(i++, "svc-7");
            }
            if (filter[1]) {
                s.setString(i++, "rejected");
            }
            s.setInt(i, 100);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static AuditRecord audit(final String service, final String outcome) {
        return new AuditRecord(
                Instant.now(), service, "set", RequestOrigin.MQTT, "test", null, outcome, null, null, null);
    }
}
