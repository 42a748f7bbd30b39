package dev.configmanager.store;

import dev.configmanager.wire.RequestOrigin;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The store's SQL: every statement on its tables, on a connection the caller owns (and commits). Not thread-safe: the
 * caller serializes use of a connection.
 */
final class ConfigTables {

    /** The columns of a version, in the order {@link #version(ResultSet, int)} reads them. */
    static final String COLUMNS =
            "service, version, change_kind, config, checksum, updated_at, updated_by, request_id, origin";
    /** Audit lines between two prunings of the oldest ones beyond the configured maximum. */
    private static final int PRUNE_EVERY = 1_000;
    /** Rows an export reads from the database at a time. */
    private static final int EXPORT_FETCH_ROWS = 256;

    private final SqlDialect dialect;
    private final int auditMaxRows;
    /** This store's mark on the change log, so that its own feed skips what it wrote itself. */
    private final String writer = UUID.randomUUID().toString();

    private int auditInsertsSincePrune;

    ConfigTables(final SqlDialect dialect, final int auditMaxRows) {
        this.dialect = dialect;
        this.auditMaxRows = auditMaxRows;
    }

    String writer() {
        return writer;
    }

    Optional<ConfigVersion> current(final Connection c, final String service) throws SQLException {
        return versions(c, "SELECT " + COLUMNS + " FROM cm_current WHERE service = ?", s -> s.setString(1, service))
                .stream()
                .findFirst();
    }

    List<ConfigVersion> allCurrent(final Connection c) throws SQLException {
        return versions(c, "SELECT " + COLUMNS + " FROM cm_current ORDER BY service", s -> {});
    }

    Optional<ConfigVersion> version(final Connection c, final String service, final long version) throws SQLException {
        return versions(c, "SELECT " + COLUMNS + " FROM cm_history WHERE service = ? AND version = ?", s -> {
                    s.setString(1, service);
                    s.setLong(2, version);
                })
                .stream()
                .findFirst();
    }

    List<ConfigVersion> history(final Connection c, final String service, final int limit) throws SQLException {
        return versions(
                c, "SELECT " + COLUMNS + " FROM cm_history WHERE service = ? ORDER BY version DESC LIMIT ?", s -> {
                    s.setString(1, service);
                    s.setInt(2, limit);
                });
    }

    /** The SQL of an audit query: one form per filter, each served by an index (migration 4). */
    static String auditQuery(final boolean byService, final boolean byOutcome) {
        final String where = byService && byOutcome
                ? " WHERE service = ? AND outcome = ?"
                : byService ? " WHERE service = ?" : byOutcome ? " WHERE outcome = ?" : "";
        return "SELECT at, service, action, origin, requester, request_id, outcome, version, error_code, message "
                + "FROM cm_audit" + where + " ORDER BY id DESC LIMIT ?";
    }

    List<AuditRecord> audit(final Connection c, final String service, final String outcome, final int limit)
            throws SQLException {
        try (var s = c.prepareStatement(auditQuery(service != null, outcome != null))) {
            int i = 1;
            if (service != null) {
                s.setString(i++, service);
            }
            if (outcome != null) {
                s.setString(i++, outcome);
            }
            s.setInt(i, limit);
            final List<AuditRecord> rows = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(auditRecord(rs));
                }
            }
            return rows;
        }
    }

    /** The audit line whose columns, in {@link #auditQuery} order, start at the first. */
    private static AuditRecord auditRecord(final ResultSet rs) throws SQLException {
        // read before the columns after it: wasNull() answers for the last column read
        final long number = rs.getLong(8);
        final Long version = rs.wasNull() ? null : number;
        return new AuditRecord(
                rs.getTimestamp(1).toInstant(),
                rs.getString(2),
                rs.getString(3),
                RequestOrigin.valueOf(rs.getString(4)),
                rs.getString(5),
                rs.getString(6),
                rs.getString(7),
                version,
                rs.getString(9),
                rs.getString(10));
    }

    /** Rejections by service since {@code since}: the outcome index, newest first, read back to that time. */
    Map<String, Long> rejectionsSince(final Connection c, final Instant since) throws SQLException {
        try (var s = c.prepareStatement("SELECT service, COUNT(*) FROM cm_audit WHERE outcome = 'rejected' AND at >= ? "
                + "AND service IS NOT NULL GROUP BY service")) {
            s.setTimestamp(1, Timestamp.from(since));
            final Map<String, Long> counts = new TreeMap<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    counts.put(rs.getString(1), rs.getLong(2));
                }
            }
            return counts;
        }
    }

    Map<String, String> schemas(final Connection c) throws SQLException {
        try (var s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT service, schema_json FROM cm_schema")) {
            final Map<String, String> schemas = new TreeMap<>();
            while (rs.next()) {
                schemas.put(rs.getString(1), rs.getString(2));
            }
            return schemas;
        }
    }

    void putSchema(final Connection c, final String service, final String schemaJson, final Instant at, final String by)
            throws SQLException {
        try (var s = c.prepareStatement(
                dialect.upsert("cm_schema", "service, schema_json, updated_at, updated_by", "service"))) {
            s.setString(1, service);
            s.setString(2, schemaJson);
            s.setTimestamp(3, Timestamp.from(at));
            s.setString(4, clip(by, 256));
            s.executeUpdate();
        }
    }

    /**
     * New versions (history, current) and audit lines, in the caller's transaction. A shared database writes them with
     * its change log in one statement instead ({@link SharedCommit}).
     */
    void write(final Connection c, final List<ConfigVersion> versions, final List<AuditRecord> audit)
            throws SQLException {
        if (!versions.isEmpty()) {
            try (var history = c.prepareStatement(
                            "INSERT INTO cm_history (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
                    var current = c.prepareStatement(dialect.upsert("cm_current", COLUMNS, "service"))) {
                for (final ConfigVersion v : versions) {
                    bind(history, v);
                    history.addBatch();
                    bind(current, v);
                    current.addBatch();
                }
                history.executeBatch();
                current.executeBatch();
            }
        }
        if (!audit.isEmpty()) {
            insertAudit(c, audit);
        }
    }

    /**
     * The versions in {@code table} ({@code cm_history} or {@code cm_current}) whose stored text may read differently
     * in another canonical form: those with a number in exponent notation, and those with sealed values (whose
     * plain text cannot be seen here).
     */
    List<ConfigVersion> formCandidates(final Connection c, final String table) throws SQLException {
        return versions(c, "SELECT " + COLUMNS + " FROM " + table + " WHERE config LIKE ? OR config LIKE ?", s -> {
            s.setString(1, "%e-%");
            s.setString(2, "%\"" + SealedConfigStore.MARKER + "\"%");
        });
    }

    /** Replaces the stored text and checksum of one version in {@code table}. */
    void rewrite(final Connection c, final String table, final ConfigVersion v) throws SQLException {
        try (var s = c.prepareStatement(
                "UPDATE " + table + " SET config = ?, checksum = ? WHERE service = ? AND version = ?")) {
            s.setString(1, v.config());
            s.setString(2, v.checksum());
            s.setString(3, v.service());
            s.setLong(4, v.version());
            s.executeUpdate();
        }
    }

    Optional<String> meta(final Connection c, final String key) throws SQLException {
        try (var s = c.prepareStatement("SELECT meta_value FROM cm_meta WHERE meta_key = ?")) {
            s.setString(1, key);
            try (var rs = s.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    void setMeta(final Connection c, final String key, final String value) throws SQLException {
        try (var s = c.prepareStatement(dialect.upsert("cm_meta", "meta_key, meta_value", "meta_key"))) {
            s.setString(1, key);
            s.setString(2, value);
            s.executeUpdate();
        }
    }

    private void insertAudit(final Connection c, final List<AuditRecord> audit) throws SQLException {
        try (var s = c.prepareStatement("INSERT INTO cm_audit (at, service, action, origin, requester, request_id, "
                + "outcome, version, error_code, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (final AuditRecord a : audit) {
                s.setTimestamp(1, Timestamp.from(a.at()));
                s.setString(2, clip(a.service(), 64));
                s.setString(3, a.action());
                s.setString(4, a.origin().name());
                s.setString(5, clip(a.requester(), 256));
                s.setString(6, clip(a.requestId(), 128));
                s.setString(7, a.outcome());
                if (a.version() == null) {
                    s.setNull(8, Types.BIGINT);
                } else {
                    s.setLong(8, a.version());
                }
                s.setString(9, a.errorCode());
                s.setString(10, clip(a.message(), 1024));
                s.addBatch();
            }
            s.executeBatch();
        }
        audited(c, audit.size());
    }

    /**
     * Counts audit lines written, and every {@value #PRUNE_EVERY} deletes the oldest beyond the configured maximum, in
     * the caller's transaction.
     *
     * @return whether it deleted (the caller commits)
     */
    boolean audited(final Connection c, final int lines) throws SQLException {
        auditInsertsSincePrune += lines;
        if (auditInsertsSincePrune < PRUNE_EVERY) {
            return false;
        }
        auditInsertsSincePrune = 0;
        try (var s = c.prepareStatement("DELETE FROM cm_audit WHERE id <= (SELECT MAX(id) FROM cm_audit) - ?")) {
            s.setLong(1, auditMaxRows);
            s.executeUpdate();
        }
        return true;
    }

    /** Every schema set through the console, with who set it and when, by service. */
    void exportSchemas(final Connection c, final StoreContent.Sink sink) throws SQLException, IOException {
        try (var s = c.prepareStatement(
                        "SELECT service, schema_json, updated_at, updated_by FROM cm_schema ORDER BY service");
                ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                sink.schema(new StoreContent.Schema(
                        rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant(), rs.getString(4)));
            }
        }
    }

    /** Every version, by service and then version, read a page at a time (a large history never sits in memory). */
    void exportVersions(final Connection c, final StoreContent.Sink sink) throws SQLException, IOException {
        try (var s = c.prepareStatement("SELECT " + COLUMNS + " FROM cm_history ORDER BY service, version")) {
            s.setFetchSize(EXPORT_FETCH_ROWS);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    sink.version(version(rs, 1));
                }
            }
        }
    }

    /** The audit log, oldest first. */
    void exportAudit(final Connection c, final StoreContent.Sink sink) throws SQLException, IOException {
        try (var s = c.prepareStatement(
                "SELECT at, service, action, origin, requester, request_id, outcome, version, error_code, message "
                        + "FROM cm_audit ORDER BY id")) {
            s.setFetchSize(EXPORT_FETCH_ROWS);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    sink.audit(auditRecord(rs));
                }
            }
        }
    }

    /** How many versions and schemas are stored: an import fills only a store with none of either. */
    long[] versionsAndSchemas(final Connection c) throws SQLException {
        try (var s = c.createStatement();
                ResultSet rs =
                        s.executeQuery("SELECT (SELECT COUNT(*) FROM cm_history), (SELECT COUNT(*) FROM cm_schema)")) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2)};
        }
    }

    /**
     * Takes an export's rows in the caller's transaction, a batch at a time. {@link Loader#finish} then makes the last
     * version of each service its current one.
     */
    Loader loader(final Connection c) throws SQLException {
        return new Loader(c);
    }

    final class Loader implements StoreContent.Sink {
        private static final int BATCH = 256;
        private final Connection c;
        private final PreparedStatement history;
        private final List<AuditRecord> audit = new ArrayList<>();
        private int pending;
        private long versions;

        private Loader(final Connection c) throws SQLException {
            this.c = c;
            this.history =
                    c.prepareStatement("INSERT INTO cm_history (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        }

        @Override
        public void header(final StoreContent.Header header) {}

        @Override
        public void schema(final StoreContent.Schema schema) throws IOException {
            try {
                putSchema(c, schema.service(), schema.schemaJson(), schema.updatedAt(), schema.updatedBy());
            } catch (final SQLException e) {
                throw new Failed(e);
            }
        }

        @Override
        public void version(final ConfigVersion version) throws IOException {
            try {
                bind(history, version);
                history.addBatch();
                versions++;
                if (++pending == BATCH) {
                    history.executeBatch();
                    pending = 0;
                }
            } catch (final SQLException e) {
                throw new Failed(e);
            }
        }

        @Override
        public void audit(final AuditRecord line) throws IOException {
            audit.add(line);
            if (audit.size() == BATCH) {
                flushAudit();
            }
        }

        private void flushAudit() throws Failed {
            try {
                insertAudit(c, audit);
            } catch (final SQLException e) {
                throw new Failed(e);
            }
            audit.clear();
        }

        /** @return the versions loaded */
        long finish() throws SQLException {
            try {
                if (pending > 0) {
                    history.executeBatch();
                }
                if (!audit.isEmpty()) {
                    flushAudit();
                }
            } catch (final Failed e) {
                throw e.cause();
            } finally {
                history.close();
            }
            try (var s = c.createStatement()) {
                s.executeUpdate("INSERT INTO cm_current (" + COLUMNS + ") SELECT " + COLUMNS + " FROM cm_history h "
                        + "WHERE version = (SELECT MAX(version) FROM cm_history WHERE service = h.service)");
            }
            return versions;
        }
    }

    /** A database failure while a sink took a row: carried through the sink's {@link IOException}. */
    static final class Failed extends IOException {
        Failed(final SQLException cause) {
            super(cause);
        }

        SQLException cause() {
            return (SQLException) getCause();
        }
    }

    private interface Binder {
        void bind(PreparedStatement s) throws SQLException;
    }

    private static List<ConfigVersion> versions(final Connection c, final String sql, final Binder binder)
            throws SQLException {
        try (var s = c.prepareStatement(sql)) {
            binder.bind(s);
            final List<ConfigVersion> rows = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(version(rs, 1));
                }
            }
            return rows;
        }
    }

    /** The version whose {@link #COLUMNS} start at column {@code first}. */
    static ConfigVersion version(final ResultSet rs, final int first) throws SQLException {
        return new ConfigVersion(
                rs.getString(first),
                rs.getLong(first + 1),
                ConfigVersion.Change.valueOf(rs.getString(first + 2)),
                rs.getString(first + 3),
                rs.getString(first + 4),
                rs.getTimestamp(first + 5).toInstant(),
                rs.getString(first + 6),
                rs.getString(first + 7),
                RequestOrigin.valueOf(rs.getString(first + 8)));
    }

    private static void bind(final PreparedStatement s, final ConfigVersion v) throws SQLException {
        s.setString(1, v.service());
        s.setLong(2, v.version());
        s.setString(3, v.change().name());
        s.setString(4, v.config());
        s.setString(5, v.checksum());
        s.setTimestamp(6, Timestamp.from(v.updatedAt()));
        s.setString(7, clip(v.updatedBy(), 256));
        s.setString(8, v.requestId());
        s.setString(9, v.origin().name());
    }

    static String clip(final String s, final int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        final int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end);
    }
}
