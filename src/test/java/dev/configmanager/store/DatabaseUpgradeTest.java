package dev.configmanager.store;

import dev.configmanager.wire.RequestOrigin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A database written by an older config-manager is brought to the current schema with its data intact. */
class DatabaseUpgradeTest {

    @TempDir
    Path dir;

    @Test
    void schemaVersionTwoDatabaseLosesTheAuditIndexAndKeepsItsData() throws Exception {
        final Path file = dir.resolve("db/config-manager");
        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000)) {
            store.commit(
                    List.of(new ConfigVersion(
                            "svc",
                            1,
                            ConfigVersion.Change.SET,
                            "{\"a\":1}",
                            "c".repeat(64),
                            Instant.now(),
                            "tester",
                            "r-1",
                            RequestOrigin.MQTT)),
                    List.of(new AuditRecord(
                            Instant.now(),
                            "svc",
                            "set",
                            RequestOrigin.MQTT,
                            "tester",
                            "r-1",
                            "accepted",
                            1L,
                            null,
                            null)));
        }
        // what schema version 2 left on disk: the same tables plus the (service, id) audit index
        try (Connection c = DriverManager.getConnection(H2ConfigStore.url(file));
                Statement s = c.createStatement()) {
            s.execute("CREATE INDEX cm_audit_service ON cm_audit (service, id)");
            s.execute("UPDATE cm_meta SET meta_value = '2' WHERE meta_key = 'schema_version'");
            assertTrue(auditIndexExists(s));
        }

        try (SqlConfigStore reopened = H2ConfigStore.open(file, 10_000)) {
            assertEquals("{\"a\":1}", reopened.current("svc").orElseThrow().config());
            assertEquals("r-1", reopened.audit("svc", null, 10).get(0).requestId());
        }
        try (Connection c = DriverManager.getConnection(H2ConfigStore.url(file));
                Statement s = c.createStatement();
                ResultSet version =
                        s.executeQuery("SELECT meta_value FROM cm_meta WHERE meta_key = 'schema_version'")) {
            assertTrue(version.next());
            assertEquals(Integer.toString(Migrations.latest()), version.getString(1));
            assertFalse(auditIndexExists(s));
        }
    }

    private static boolean auditIndexExists(final Statement s) throws Exception {
        try (ResultSet rs = s.executeQuery(
                "SELECT COUNT(*) FROM INFORMATION_SCHEMA.INDEXES " + "WHERE INDEX_NAME = 'CM_AUDIT_SERVICE'")) {
            rs.next();
            return rs.getInt(1) > 0;
        }
    }
}
