package dev.configmanager.store;

import dev.configmanager.wire.RequestOrigin;
import dev.configmanager.concurrent.Threads;
import org.h2.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The embedded H2 file database. One connection, used under this object's lock: the pipeline writes from a single
 * thread, so a lock costs nothing and keeps transactions simple.
 * <p>
 * A commit is made durable by its {@link CommitJournal} record, not by syncing H2, which a background task does once
 * a second; opening the store applies the journalled commits H2 had not synced when the process died.
 * <p>
 * When a call fails the connection is dropped and the call reports {@link StoreUnavailableException}; the next call
 * after {@link #REOPEN_BACKOFF_MS} tries to open the file again, so a store that comes back is used again without a
 * broker restart.
 */
public final class H2ConfigStore implements ConfigStore {

    private static final Logger log = LoggerFactory.getLogger(H2ConfigStore.class);
    private static final long REOPEN_BACKOFF_MS = 1_000;
    /** How often H2 itself is synced, and the journal emptied, when commits have come since the last time. */
    private static final long CHECKPOINT_INTERVAL_MS = 1_000;
    /** A journal this large is checkpointed by the commit that made it so, not a second later. */
    private static final long CHECKPOINT_JOURNAL_BYTES = 16L * 1024 * 1024;
    /** The last journal record H2 holds, written in the same transaction as that record's rows. */
    private static final String JOURNAL_SEQ_KEY = "journal_seq";
    private static final String COLUMNS =
            "service, version, change_kind, config, checksum, updated_at, updated_by, request_id, origin";

    private final Path file;
    private final int auditMaxRows;
    private final String epoch;
    private final CommitJournal.Opener journalOpener;
    private CommitJournal journal;
    /** The console's reads: a connection and a lock of their own (see {@link #read}). */
    private final Object readLock = new Object();
    private Connection reader;
    private final ScheduledExecutorService checkpoints =
            Executors.newSingleThreadScheduledExecutor(Threads.factory("config-manager-checkpoint"));
    private Connection connection;
    private long lastFailureMillis;
    private int auditInsertsSincePrune;
    private long journalSeq;

    private H2ConfigStore(final Path file, final int auditMaxRows, final Connection connection, final String epoch,
                          final CommitJournal journal, final CommitJournal.Opener journalOpener) {
        this.file = file;
        this.journalOpener = journalOpener;
        this.auditMaxRows = auditMaxRows;
        this.connection = connection;
        this.epoch = epoch;
        this.journal = journal;
    }

    /**
     * Opens (creating if needed) the database at {@code file} ({@code .mv.db} is appended by H2) and migrates it.
     */
    public static H2ConfigStore open(final Path file, final int auditMaxRows) throws StoreUnavailableException {
        return open(file, auditMaxRows, CHECKPOINT_INTERVAL_MS);
    }

    /** With H2 synced at most every {@code checkpointIntervalMillis} (tests hold commits in the journal). */
    static H2ConfigStore open(final Path file, final int auditMaxRows, final long checkpointIntervalMillis)
            throws StoreUnavailableException {
        return open(file, auditMaxRows, checkpointIntervalMillis, CommitJournal.Opener.REAL);
    }

    /** With the journal's file opened by {@code journalOpener} (tests make its writes fail). */
    static H2ConfigStore open(final Path file, final int auditMaxRows, final long checkpointIntervalMillis,
                              final CommitJournal.Opener journalOpener) throws StoreUnavailableException {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            final Connection connection = connect(file);
            Migrations.apply(connection);
            final String epoch = readEpoch(connection);
            final CommitJournal journal = CommitJournal.open(journalPath(file), journalOpener);
            final H2ConfigStore store = new H2ConfigStore(file, auditMaxRows, connection, epoch, journal,
                    journalOpener);
            try {
                store.restoreFromJournal(connection);
            } catch (final Exception e) {
                store.checkpoints.shutdownNow();
                connection.close();
                journal.close();
                throw e;
            }
            // Off the writer's path: a commit never waits for H2's own sync unless the journal grew large.
            store.checkpoints.scheduleWithFixedDelay(store::checkpointPending, checkpointIntervalMillis,
                    checkpointIntervalMillis, TimeUnit.MILLISECONDS);
            return store;
        } catch (final Exception e) {
            throw new StoreUnavailableException("cannot open the config database " + file + ".mv.db: "
                    + e.getMessage(), e);
        }
    }

    /** The journal beside the database file: {@code <file>.journal}. */
    public static Path journalPath(final Path file) {
        return Path.of(file.toAbsolutePath() + ".journal");
    }

    /** The JDBC URL of the store at {@code file}; tests use it to look at the same database. */
    public static String url(final Path file) {
        // The broker owns shutdown: H2 must not close the database from its own JVM shutdown hook first.
        return "jdbc:h2:file:" + file.toAbsolutePath() + ";DB_CLOSE_ON_EXIT=FALSE";
    }

    private static Connection connect(final Path file) throws SQLException {
        // An explicit driver: DriverManager's discovery depends on the thread context class loader.
        final Connection c = new Driver().connect(url(file), new Properties());
        c.setAutoCommit(false);
        return c;
    }

    private static String readEpoch(final Connection c) throws SQLException {
        try (var s = c.prepareStatement("SELECT meta_value FROM cm_meta WHERE meta_key = ?")) {
            s.setString(1, Migrations.EPOCH_KEY);
            try (var rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("the database has no config epoch");
                }
                return rs.getString(1);
            }
        }
    }

    @Override
    public String epoch() {
        return epoch;
    }

    @Override
    public synchronized Optional<ConfigVersion> current(final String service) throws StoreUnavailableException {
        return query("SELECT " + COLUMNS + " FROM cm_current WHERE service = ?", s -> s.setString(1, service))
                .stream().findFirst();
    }

    @Override
    public List<ConfigVersion> allCurrent() throws StoreUnavailableException {
        return read("read the current configs", c -> rows(c, "SELECT " + COLUMNS + " FROM cm_current ORDER BY service",
                s -> {
                }));
    }

    @Override
    public synchronized Optional<ConfigVersion> version(final String service, final long version)
            throws StoreUnavailableException {
        return query("SELECT " + COLUMNS + " FROM cm_history WHERE service = ? AND version = ?", s -> {
            s.setString(1, service);
            s.setLong(2, version);
        }).stream().findFirst();
    }

    @Override
    public List<ConfigVersion> history(final String service, final int limit) throws StoreUnavailableException {
        return read("read the history of " + service, c -> rows(c, "SELECT " + COLUMNS
                + " FROM cm_history WHERE service = ? ORDER BY version DESC LIMIT ?", s -> {
            s.setString(1, service);
            s.setInt(2, limit);
        }));
    }

    /** The SQL of an audit query: one form per filter, each served by an index (migration 4). */
    static String auditQuery(final boolean byService, final boolean byOutcome) {
        final String where = byService && byOutcome ? " WHERE service = ? AND outcome = ?"
                : byService ? " WHERE service = ?" : byOutcome ? " WHERE outcome = ?" : "";
        return "SELECT at, service, action, origin, requester, request_id, outcome, version, error_code, message "
                + "FROM cm_audit" + where + " ORDER BY id DESC LIMIT ?";
    }

    @Override
    public List<AuditRecord> audit(final String service, final String outcome, final int limit)
            throws StoreUnavailableException {
        return read("read the audit log", c -> {
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
                        final long version = rs.getLong(8);
                        rows.add(new AuditRecord(rs.getTimestamp(1).toInstant(), rs.getString(2), rs.getString(3),
                                RequestOrigin.valueOf(rs.getString(4)), rs.getString(5), rs.getString(6),
                                rs.getString(7), rs.wasNull() ? null : version, rs.getString(9), rs.getString(10)));
                    }
                }
                return rows;
            }
        });
    }

    private interface Reading<T> {
        T read(Connection c) throws SQLException;
    }

    /**
     * Runs a console read (all configs, history, audit) on a connection of its own, under a lock of its own: however
     * long it takes, it never holds the lock that commits take, so browsing a large audit log never delays a write.
     * H2 shows it only committed rows. A failure closes this connection only; the writer's stays.
     */
    private <T> T read(final String what, final Reading<T> reading) throws StoreUnavailableException {
        synchronized (readLock) {
            try {
                if (reader == null) {
                    reader = connect(file);
                }
                final T result = reading.read(reader);
                reader.commit();
                return result;
            } catch (final SQLException e) {
                closeReader();
                throw new StoreUnavailableException("the config database failed to " + what + ": " + e.getMessage(),
                        e);
            }
        }
    }

    private void closeReader() {
        synchronized (readLock) {
            if (reader != null) {
                try {
                    reader.close();
                } catch (final SQLException ignored) {
                    // it is being dropped either way
                }
                reader = null;
            }
        }
    }

    @Override
    public synchronized java.util.Map<String, String> schemas() throws StoreUnavailableException {
        final Connection c = connection();
        try (var s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT service, schema_json FROM cm_schema")) {
            final java.util.Map<String, String> schemas = new java.util.TreeMap<>();
            while (rs.next()) {
                schemas.put(rs.getString(1), rs.getString(2));
            }
            c.commit();
            return schemas;
        } catch (final SQLException e) {
            throw fail("read schemas", e);
        }
    }

    @Override
    public synchronized void putSchema(final String service, final String schemaJson, final AuditRecord audit)
            throws StoreUnavailableException {
        final Connection c = connection();
        try (var s = c.prepareStatement("MERGE INTO cm_schema (service, schema_json, updated_at, updated_by) "
                + "KEY (service) VALUES (?, ?, ?, ?)")) {
            s.setString(1, service);
            s.setString(2, schemaJson);
            s.setTimestamp(3, Timestamp.from(audit.at()));
            s.setString(4, clip(audit.requester(), 256));
            s.executeUpdate();
            insertAudit(c, List.of(audit));
            c.commit();
            checkpoint(c);
        } catch (final IOException e) {
            // the schema is synced in H2; only emptying the journal failed, which the next checkpoint retries
            log.warn("config-manager: emptying the journal {} failed: {}", journal.path(), e.toString());
        } catch (final SQLException e) {
            throw fail("store the schema of " + service, e);
        }
    }

    /**
     * Durable when it returns: the rows are in H2's transaction and the same commit is synced in the journal. H2
     * itself is synced by {@link #checkpointPending} every {@link #CHECKPOINT_INTERVAL_MS}, then the journal starts
     * over.
     */
    @Override
    public synchronized void commit(final List<ConfigVersion> versions, final List<AuditRecord> audit)
            throws StoreUnavailableException, WriteRefusedException {
        if (versions.isEmpty() && audit.isEmpty()) {
            return;
        }
        final Connection c = connection();
        final long seq = journalSeq + 1;
        try {
            long before = -1;
            for (int attempt = 0; before < 0; attempt++) {
                if (attempt > 0 || journal.isDetached()) {
                    // moved, deleted or replaced: what it holds, and this commit, would not be there after a crash
                    c.rollback();
                    if (attempt > 1) {
                        throw fail("keep the journal " + journal.path() + " in place", new IOException(
                                "it keeps being moved or deleted"));
                    }
                    reattachJournal(c);
                }
                try {
                    write(c, versions, audit, seq);
                } catch (final SQLException e) {
                    if (isRefusedData(e)) {
                        refuse(c, e); // nothing is journalled yet: the rows were refused, the database works
                    }
                    throw e;
                }
                try {
                    before = journal.append(new CommitJournal.Entry(seq, versions, audit));
                } catch (final IOException e) {
                    throw fail("write the journal " + journal.path(), e);
                }
                if (journal.isDetached()) {
                    before = -1; // it went while this commit was appended: again, on a journal that is in place
                }
            }
            try {
                c.commit();
            } catch (final SQLException e) {
                forgetAppend(before);
                throw e;
            }
            journalSeq = seq;
        } catch (final SQLException e) {
            throw fail("commit " + versions.size() + " version(s)", e);
        }
        if (journal.size() >= CHECKPOINT_JOURNAL_BYTES) {
            checkpointPending();
        }
    }

    private void write(final Connection c, final List<ConfigVersion> versions, final List<AuditRecord> audit,
                       final long seq) throws SQLException {
        if (!versions.isEmpty()) {
            try (var history = c.prepareStatement("INSERT INTO cm_history (" + COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
                 var current = c.prepareStatement("MERGE INTO cm_current (" + COLUMNS
                         + ") KEY (service) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
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
        setJournalSeq(c, seq);
    }

    private static void setJournalSeq(final Connection c, final long seq) throws SQLException {
        try (var s = c.prepareStatement("MERGE INTO cm_meta (meta_key, meta_value) KEY (meta_key) VALUES (?, ?)")) {
            s.setString(1, JOURNAL_SEQ_KEY);
            s.setString(2, Long.toString(seq));
            s.executeUpdate();
        }
    }

    /**
     * A data exception (SQLSTATE class 22: a value too long, out of range) or a constraint violation (class 23) is
     * about these rows, not the database: the connection stays, so one bad request cannot take the store down for
     * everyone else's writes.
     */
    private static boolean isRefusedData(final SQLException e) {
        final String state = e.getSQLState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    private static void refuse(final Connection c, final SQLException e) throws WriteRefusedException {
        try {
            c.rollback();
        } catch (final SQLException rollback) {
            e.addSuppressed(rollback);
            return; // not even a rollback: handled as a failed database
        }
        log.warn("config-manager: the config database refused a commit's rows: {}", e.getMessage());
        throw new WriteRefusedException("the config database refused these rows: " + e.getMessage(), e);
    }

    /** A commit H2 refused must not come back from the journal at the next start. */
    private void forgetAppend(final long before) {
        try {
            journal.truncate(before);
        } catch (final IOException e) {
            log.error("config-manager: a commit failed and could not be taken out of the journal {}; it may be "
                    + "applied at the next start: {}", journal.path(), e.toString());
        }
    }

    /**
     * Starts a new journal at the journal's path after the old one was moved, deleted or replaced. H2 is synced
     * first, so it holds every commit the old journal held; a file someone put in its place is set aside.
     */
    private void reattachJournal(final Connection c) throws SQLException {
        final Path path = journal.path();
        log.warn("config-manager: the journal {} was moved, deleted or replaced while the broker ran; syncing the "
                + "database and starting a new journal there", path);
        try (var s = c.createStatement()) {
            s.execute("CHECKPOINT SYNC");
        }
        try {
            if (Files.exists(path)) {
                final Path aside = Path.of(path + ".replaced-" + System.currentTimeMillis());
                Files.move(path, aside);
                log.warn("config-manager: the file found at {} is kept as {}", path, aside);
            }
            final CommitJournal fresh = CommitJournal.open(path, journalOpener);
            final CommitJournal old = journal;
            journal = fresh;
            old.close();
        } catch (final IOException e) {
            throw new SQLException("cannot start a new journal at " + path + ": " + e.getMessage(), e);
        }
    }

    /** Syncs H2 if the journal holds commits; a failure leaves them there for the next try (or the next start). */
    private synchronized void checkpointPending() {
        if (connection == null || journal.size() == 0) {
            return;
        }
        try {
            if (journal.isDetached()) {
                reattachJournal(connection);
                return;
            }
            checkpoint(connection);
        } catch (final SQLException e) {
            // dropped like any failed connection; reopening it applies the journal again
            fail("sync (commits stay in the journal)", e);
        } catch (final IOException e) {
            log.warn("config-manager: H2 is synced but emptying the journal {} failed; trying again: {}",
                    journal.path(), e.toString());
        } catch (final RuntimeException e) {
            log.error("config-manager: syncing the config database failed", e);
        }
    }

    /** Syncs H2, which then holds every journalled commit, and empties the journal. */
    private void checkpoint(final Connection c) throws SQLException, IOException {
        try (var s = c.createStatement()) {
            s.execute("CHECKPOINT SYNC");
        }
        journal.truncate(0);
    }

    /**
     * Applies the journalled commits H2 does not hold (it lost what it had not synced when the process died), then
     * checkpoints. A database that never had a journal (new, or written by an older version) gets its journal
     * counter first; a leftover journal beside it belongs to some other database and is set aside.
     */
    private void restoreFromJournal(final Connection c) throws SQLException, IOException {
        if (journal.inDoubt()) {
            throw new IOException("a failed write may have left a commit in the journal " + journal.path()
                    + " that was answered as not stored; check the disk, then restart the broker");
        }
        final List<CommitJournal.Entry> entries = journal.readAll();
        final Optional<Long> stored = readJournalSeq(c);
        long seq = stored.orElse(0L);
        int restored = 0;
        if (stored.isEmpty()) {
            if (!entries.isEmpty()) {
                final Path aside = Path.of(journal.path() + ".orphaned-" + System.currentTimeMillis());
                Files.copy(journal.path(), aside);
                log.warn("config-manager: the journal {} does not belong to this database; moved its {} commit(s) "
                        + "to {}", journal.path(), entries.size(), aside);
            }
            setJournalSeq(c, 0);
            c.commit();
        } else {
            for (final CommitJournal.Entry e : entries) {
                if (e.seq() > seq) {
                    write(c, e.versions(), e.audit(), e.seq());
                    c.commit();
                    seq = e.seq();
                    restored++;
                }
            }
        }
        checkpoint(c);
        journalSeq = seq;
        if (restored > 0) {
            log.info("config-manager: restored {} commit(s) from the journal {} that the database had not synced",
                    restored, journal.path());
        }
    }

    private static Optional<Long> readJournalSeq(final Connection c) throws SQLException {
        try (var s = c.prepareStatement("SELECT meta_value FROM cm_meta WHERE meta_key = ?")) {
            s.setString(1, JOURNAL_SEQ_KEY);
            try (var rs = s.executeQuery()) {
                return rs.next() ? Optional.of(Long.parseLong(rs.getString(1))) : Optional.empty();
            }
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
        auditInsertsSincePrune += audit.size();
        if (auditInsertsSincePrune >= 1_000) {
            auditInsertsSincePrune = 0;
            try (var s = c.prepareStatement("DELETE FROM cm_audit WHERE id <= (SELECT MAX(id) FROM cm_audit) - ?")) {
                s.setLong(1, auditMaxRows);
                s.executeUpdate();
            }
        }
    }

    @Override
    public void close() {
        // no interrupt: an interrupted thread in the middle of file I/O closes the channel under H2 and the journal
        checkpoints.shutdown();
        closeDatabase();
    }

    private synchronized void closeDatabase() {
        closeReader();
        if (connection != null) {
            try {
                checkpoint(connection);
            } catch (final SQLException | IOException e) {
                log.warn("config-manager: syncing the config database at close failed; its last commits stay in "
                        + "the journal: {}", e.toString());
            }
            try {
                connection.close();
            } catch (final SQLException e) {
                log.warn("config-manager: closing the config database failed: {}", e.getMessage());
            }
            connection = null;
        }
        try {
            journal.close();
        } catch (final IOException e) {
            log.warn("config-manager: closing the journal failed: {}", e.toString());
        }
    }

    private interface Binder {
        void bind(PreparedStatement s) throws SQLException;
    }

    private List<ConfigVersion> query(final String sql, final Binder binder) throws StoreUnavailableException {
        final Connection c = connection();
        try {
            final List<ConfigVersion> rows = rows(c, sql, binder);
            c.commit();
            return rows;
        } catch (final SQLException e) {
            throw fail("read", e);
        }
    }

    private static List<ConfigVersion> rows(final Connection c, final String sql, final Binder binder)
            throws SQLException {
        try (var s = c.prepareStatement(sql)) {
            binder.bind(s);
            final List<ConfigVersion> rows = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(version(rs));
                }
            }
            return rows;
        }
    }

    private Connection connection() throws StoreUnavailableException {
        if (connection != null) {
            return connection;
        }
        final long now = System.currentTimeMillis();
        if (now - lastFailureMillis < REOPEN_BACKOFF_MS) {
            throw new StoreUnavailableException("the config database is unavailable; retrying shortly", null);
        }
        Connection reopened = null;
        try {
            reopened = connect(file);
            // whatever H2 lost with the broken connection is still in the journal
            restoreFromJournal(reopened);
            connection = reopened;
            log.info("config-manager: config database {} is available again", file);
            return connection;
        } catch (final SQLException | IOException e) {
            lastFailureMillis = now;
            if (reopened != null) {
                try {
                    reopened.close();
                } catch (final SQLException ignored) {
                    // it never became the store's connection
                }
            }
            throw new StoreUnavailableException("the config database cannot be opened: " + e.getMessage(), e);
        }
    }

    private StoreUnavailableException fail(final String what, final Exception e) {
        log.error("config-manager: config database failed during {}: {}", what, e.getMessage());
        final Connection broken = connection;
        connection = null;
        lastFailureMillis = System.currentTimeMillis();
        if (broken != null) {
            try {
                broken.rollback();
            } catch (final SQLException ignored) {
                // the connection is already gone; the transaction died with it
            }
            try {
                broken.close();
            } catch (final SQLException ignored) {
                // nothing more to release
            }
        }
        return new StoreUnavailableException("the config database failed: " + e.getMessage(), e);
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

    private static ConfigVersion version(final ResultSet rs) throws SQLException {
        return new ConfigVersion(rs.getString(1), rs.getLong(2), ConfigVersion.Change.valueOf(rs.getString(3)),
                rs.getString(4), rs.getString(5), rs.getTimestamp(6).toInstant(), rs.getString(7), rs.getString(8),
                RequestOrigin.valueOf(rs.getString(9)));
    }

    private static String clip(final String s, final int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        final int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end);
    }
}
