package dev.configmanager.store;

import dev.configmanager.concurrent.Threads;
import org.h2.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The embedded H2 file database: the {@link ConfigTables} on a {@link ReopeningConnection}, made durable by
 * {@link JournalledCommits}. Writes and the reads the writer makes use one connection under this object's lock (the
 * pipeline writes from a single thread, so the lock costs nothing and keeps transactions simple); the console's reads
 * use a {@link ReadConnection} of their own.
 * <p>
 * A background task checkpoints (syncs H2 and empties the journal) about once a second. It holds the same lock, so a
 * commit that arrives during a checkpoint waits for it: the journal keeps each commit to one small sync, the
 * checkpoint moves H2's own sync off each commit, not out of the way of every one.
 */
public final class H2ConfigStore implements ConfigStore {

    private static final Logger log = LoggerFactory.getLogger(H2ConfigStore.class);
    /** How often H2 itself is synced, and the journal emptied, when commits have come since the last time. */
    private static final long CHECKPOINT_INTERVAL_MS = 1_000;

    private final String epoch;
    private final ConfigTables tables;
    private final JournalledCommits commits;
    private final ReopeningConnection connection;
    private final ReadConnection reads;
    private final ScheduledExecutorService checkpoints =
            Executors.newSingleThreadScheduledExecutor(Threads.factory("config-manager-checkpoint"));

    private H2ConfigStore(
            final Path file,
            final String epoch,
            final ConfigTables tables,
            final JournalledCommits commits,
            final Connection opened) {
        this.epoch = epoch;
        this.tables = tables;
        this.commits = commits;
        this.connection = new ReopeningConnection(opened, () -> reopen(file), file + ".mv.db");
        this.reads = new ReadConnection(() -> connect(file));
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
    static H2ConfigStore open(
            final Path file,
            final int auditMaxRows,
            final long checkpointIntervalMillis,
            final CommitJournal.Opener journalOpener)
            throws StoreUnavailableException {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            final ConfigTables tables = new ConfigTables(SqlDialect.H2, auditMaxRows);
            final Connection c = connect(file);
            JournalledCommits commits = null;
            try {
                Migrations.apply(c);
                final String epoch = tables.meta(c, Migrations.EPOCH_KEY)
                        .orElseThrow(() -> new SQLException("the database has no config epoch"));
                commits = JournalledCommits.open(journalPath(file), journalOpener, tables);
                commits.restore(c);
                final H2ConfigStore store = new H2ConfigStore(file, epoch, tables, commits, c);
                // Off the writer's path: a commit never waits for H2's own sync unless the journal grew large.
                store.checkpoints.scheduleWithFixedDelay(
                        store::checkpointPending,
                        checkpointIntervalMillis,
                        checkpointIntervalMillis,
                        TimeUnit.MILLISECONDS);
                return store;
            } catch (final Exception e) {
                ReopeningConnection.closeQuietly(c);
                if (commits != null) {
                    commits.close();
                }
                throw e;
            }
        } catch (final Exception e) {
            throw new StoreUnavailableException(
                    "cannot open the config database " + file + ".mv.db: " + e.getMessage(), e);
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

    /** A new connection after a failure: whatever H2 lost with the broken one is still in the journal. */
    private Connection reopen(final Path file) throws SQLException, IOException {
        final Connection c = connect(file);
        try {
            commits.restore(c);
            return c;
        } catch (final SQLException | IOException | RuntimeException e) {
            ReopeningConnection.closeQuietly(c);
            throw e;
        }
    }

    @Override
    public String epoch() {
        return epoch;
    }

    private interface Call<T> {
        T call(Connection c) throws SQLException;
    }

    /** A call on the writer's connection, committed; a failure drops the connection. Under this store's lock. */
    private <T> T onWriterConnection(final String what, final Call<T> call) throws StoreUnavailableException {
        final Connection c = connection.get();
        try {
            final T result = call.call(c);
            c.commit();
            return result;
        } catch (final SQLException e) {
            throw connection.dropAfter(what, e);
        }
    }

    @Override
    public synchronized Optional<ConfigVersion> current(final String service) throws StoreUnavailableException {
        return onWriterConnection("read", c -> tables.current(c, service));
    }

    @Override
    public synchronized Optional<ConfigVersion> version(final String service, final long version)
            throws StoreUnavailableException {
        return onWriterConnection("read", c -> tables.version(c, service, version));
    }

    @Override
    public synchronized Map<String, String> schemas() throws StoreUnavailableException {
        return onWriterConnection("read schemas", tables::schemas);
    }

    @Override
    public List<ConfigVersion> allCurrent() throws StoreUnavailableException {
        return reads.read("read the current configs", tables::allCurrent);
    }

    @Override
    public List<ConfigVersion> history(final String service, final int limit) throws StoreUnavailableException {
        return reads.read("read the history of " + service, c -> tables.history(c, service, limit));
    }

    @Override
    public List<AuditRecord> audit(final String service, final String outcome, final int limit)
            throws StoreUnavailableException {
        return reads.read("read the audit log", c -> tables.audit(c, service, outcome, limit));
    }

    /** Stored with H2 synced at once (a schema is rare and has no journal record of its own). */
    @Override
    public synchronized void putSchema(final String service, final String schemaJson, final AuditRecord audit)
            throws StoreUnavailableException {
        final Connection c = connection.get();
        try {
            tables.putSchema(c, service, schemaJson, audit.at(), audit.requester());
            tables.write(c, List.of(), List.of(audit));
            c.commit();
            commits.checkpoint(c);
        } catch (final IOException e) {
            // the schema is synced in H2; only emptying the journal failed, which the next checkpoint retries
            log.warn("config-manager: emptying the journal {} failed: {}", commits.path(), e.toString());
        } catch (final SQLException e) {
            throw connection.dropAfter("store the schema of " + service, e);
        }
    }

    /** Durable when it returns: see {@link JournalledCommits#commit}. */
    @Override
    public synchronized void commit(final List<ConfigVersion> versions, final List<AuditRecord> audit)
            throws StoreUnavailableException, WriteRefusedException {
        if (versions.isEmpty() && audit.isEmpty()) {
            return;
        }
        final Connection c = connection.get();
        try {
            commits.commit(c, versions, audit);
        } catch (final SQLException | IOException e) {
            throw connection.dropAfter("commit " + versions.size() + " version(s)", e);
        }
        if (commits.isLarge()) {
            checkpointPending();
        }
    }

    /** Syncs H2 if the journal holds commits; a failure leaves them there for the next try (or the next start). */
    private synchronized void checkpointPending() {
        final Optional<Connection> c = connection.ifOpen();
        if (c.isEmpty()) {
            return;
        }
        try {
            commits.checkpointPending(c.get());
        } catch (final SQLException e) {
            // dropped like any failed connection; reopening it applies the journal again
            connection.dropAfter("sync (commits stay in the journal)", e);
        } catch (final IOException e) {
            log.warn(
                    "config-manager: H2 is synced but emptying the journal {} failed; trying again: {}",
                    commits.path(),
                    e.toString());
        } catch (final RuntimeException e) {
            log.error("config-manager: syncing the config database failed", e);
        }
    }

    @Override
    public void close() {
        // no interrupt: an interrupted thread in the middle of file I/O closes the channel under H2 and the journal
        checkpoints.shutdown();
        closeDatabase();
    }

    private synchronized void closeDatabase() {
        reads.close();
        connection.ifOpen().ifPresent(c -> {
            try {
                commits.checkpoint(c);
            } catch (final SQLException | IOException e) {
                log.warn(
                        "config-manager: syncing the config database at close failed; its last commits stay in "
                                + "the journal: {}",
                        e.toString());
            }
        });
        connection.close();
        try {
            commits.close();
        } catch (final IOException e) {
            log.warn("config-manager: closing the journal failed: {}", e.toString());
        }
    }
}
