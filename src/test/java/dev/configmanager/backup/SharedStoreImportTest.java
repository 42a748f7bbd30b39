package dev.configmanager.backup;

import dev.configmanager.store.ImportRefusedException;
import dev.configmanager.store.PostgresConfigStore;
import dev.configmanager.store.SharedPresence;
import dev.configmanager.store.SqlConfigStore;
import dev.configmanager.support.PostgresExtension;
import dev.configmanager.support.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a database several brokers share, an import changes the epoch under every broker: it is refused while another
 * broker runs (it would go on publishing the old epoch), and taken once the others are stopped; the change log then
 * carries the imported versions to brokers that follow it.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SharedStoreImportTest {

    @RegisterExtension
    static final PostgresExtension server = new PostgresExtension();

    private static final String EPOCH = "0b7e3c52-1f0a-4c1e-9a51-7d0c5e2f9a11";
    private static final String EXPORT = """
            {"format": "config-manager-export", "format_version": 1, "config_epoch": "%s", "canonical_form": 2,
             "secrets_key_id": null, "schemas": [],
             "versions": [{"service": "router", "version": 1, "change": "set", "config": {"a": 1},
                           "checksum": "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862",
                           "updated_at": "2026-11-01T10:00:00.123Z", "updated_by": "mqtt:ops", "request_id": null,
                           "origin": "mqtt"}]}""".formatted(EPOCH);

    @TempDir
    Path dir;

    @Test
    void anImportWaitsUntilNoOtherBrokerRunsAndTheChangeLogCarriesIt() throws Exception {
        final PostgresServer postgres = server.server();
        final String url = postgres.createDatabase("shared_import");
        try (SqlConfigStore store = PostgresConfigStore.open(url, PostgresServer.USER, postgres.password(), 1_000)) {
            final SharedPresence self = store.presence("node-a").orElseThrow();
            final SharedPresence other = store.presence("node-b").orElseThrow();
            final AtomicInteger afterImport = new AtomicInteger();
            final StoreTransfer transfer = new StoreTransfer(
                    store, schema -> List.of(), dir, self, afterImport::incrementAndGet, Clock.systemUTC());
            final List<Long> followed = new CopyOnWriteArrayList<>();
            final List<String> epochs = new CopyOnWriteArrayList<>();
            try (SqlConfigStore follower =
                            PostgresConfigStore.open(url, PostgresServer.USER, postgres.password(), 1_000);
                    AutoCloseable feed = follower.follow(v -> {
                        epochs.add(follower.epoch());
                        followed.add(v.version());
                    })) {
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (self.otherLiveBrokers().isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(List.of("node-b"), self.otherLiveBrokers());
                final ImportRefusedException refused =
                        assertThrows(ImportRefusedException.class, () -> transfer.importFrom(export(), "test"));
                assertEquals(ImportRefusedException.Reason.OTHER_BROKERS_RUNNING, refused.reason());
                assertTrue(refused.getMessage().contains("node-b"), refused.getMessage());
                assertEquals(List.of(), store.allCurrent(), "nothing was kept");

                other.close();
                try (Connection c = DriverManager.getConnection(url, PostgresServer.USER, postgres.password())) {
                    // as if it stopped over a minute ago
                    c.createStatement()
                            .execute("UPDATE cm_broker SET heartbeat_at = CURRENT_TIMESTAMP - INTERVAL '1 minute' "
                                    + "WHERE node = 'node-b'");
                }
                assertEquals(1, transfer.importFrom(export(), "test"));
                assertEquals(1, afterImport.get(), "the broker is brought in line once");
                assertEquals(EPOCH, store.epoch());
                final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (followed.isEmpty() && System.nanoTime() < until) {
                    Thread.sleep(50);
                }
                assertEquals(List.of(1L), followed, "another broker's feed gets the imported version");
                assertEquals(List.of(EPOCH), epochs, "with the epoch it came with, taken before it is published");
            } finally {
                self.close();
            }
        }
    }

    private static ByteArrayInputStream export() {
        return new ByteArrayInputStream(EXPORT.getBytes(StandardCharsets.UTF_8));
    }
}
