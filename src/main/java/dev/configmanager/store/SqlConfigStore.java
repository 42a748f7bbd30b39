package dev.configmanager.store;

import dev.configmanager.concurrent.Threads;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.ConfigResult;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The config store on a SQL database, H2 embedded or PostgreSQL: the same {@link ConfigTables} (and migrations) on
 * both, a {@link SqlDialect} for what they say differently, and a {@link Durability} for how a commit becomes
 * durable. Writes and the reads the writer makes use one {@link ReopeningConnection} under this object's lock (the
 * pipeline writes from a single thread, so the lock costs nothing and keeps transactions simple); the console's reads
 * use a {@link ReadConnection} of their own.
 * <p>
 * The durability's housekeeping (H2: sync itself and empty the journal) runs about once a second; H2's sync itself
 * runs on a connection of its own beside the writer's commits, so none waits for it.
 */
public final class SqlConfigStore implements ConfigStore {

    private static final Logger log = LoggerFactory.getLogger(SqlConfigStore.class);
    /** How long the change feed waits for a notification before it reads the change log anyway. */
    private static final long FEED_POLL_MS = 2_000;
    /** Reports written per transaction: how long a config commit may wait for them. */
    private static final int REPORT_CHUNK = 256;
    /**
     * How long reports wait for the housekeeping's sync (once a second) before syncing themselves: at most four report
     * syncs a second on the store, and a report acknowledged within about a quarter of a second (figure 8).
     */
    private static final long REPORT_SYNC_WAIT_MS = 250;
    /** The {@code cm_meta} key of the canonical form the stored texts and checksums are in (absent: form 1). */
    static final String FORM_KEY = "canonical_form";

    /** Opens a connection to the database, with auto-commit off. */
    interface Connector {
        Connection connect() throws SQLException;
    }

    /** Taken from an import, once, while the store is empty: read without the lock by every publish. */
    private volatile String epoch;
    /** Report transactions committed, and how many of them a sync covers (H2). Guarded by this. */
    private long reportCommits;

    private long reportsSynced;

    private final SqlDialect dialect;
    private final Connector connector;
    private final ConfigTables tables;
    private final Durability durability;
    private final ReopeningConnection connection;
    private final ReadConnection reads;
    /**
     * The housekeeping's own connection, for a sync beside the writer's commits; only its thread touches it (and
     * {@link #close} once that thread has ended).
     */
    private volatile @Nullable Connection housekeepingConnection;

    private final ScheduledExecutorService housekeeping =
            Executors.newSingleThreadScheduledExecutor(Threads.factory("config-manager-checkpoint"));

    private SqlConfigStore(
            final String name,
            final String epoch,
            final SqlDialect dialect,
            final ConfigTables tables,
            final Durability durability,
            final Connector connector,
            final Connection opened) {
        this.epoch = epoch;
        this.dialect = dialect;
        this.connector = connector;
        this.tables = tables;
        this.durability = durability;
        this.connection = new ReopeningConnection(opened, () -> reopen(connector), name);
        this.reads = new ReadConnection(connector::connect);
    }

    /** Durability made for the tables of a database whose store is being opened. */
    interface DurabilityOpener {
        Durability open(ConfigTables tables) throws IOException;
    }

    /**
     * Opens the store: migrates the database, restores what the durability holds, and starts its housekeeping.
     *
     * @param name how the log names the database (never with a password)
     */
    static SqlConfigStore open(
            final String name,
            final Connector connector,
            final SqlDialect dialect,
            final int auditMaxRows,
            final DurabilityOpener durabilityOpener,
            final long housekeepingMillis)
            throws StoreUnavailableException {
        try {
            final ConfigTables tables = new ConfigTables(dialect, auditMaxRows);
            final Connection c = connector.connect();
            Durability durability = null;
            try {
                Migrations.apply(c, dialect);
                final String epoch = tables.meta(c, Migrations.EPOCH_KEY)
                        .orElseThrow(() -> new SQLException("the database has no config epoch"));
                durability = durabilityOpener.open(tables);
                durability.restore(c);
                final SqlConfigStore store = new SqlConfigStore(name, epoch, dialect, tables, durability, connector, c);
                // Off the writer's path: a commit never waits for it unless the durability says it is due.
                store.housekeeping.scheduleWithFixedDelay(
                        store::housekeepBeside, housekeepingMillis, housekeepingMillis, TimeUnit.MILLISECONDS);
                return store;
            } catch (final Exception e) {
                ReopeningConnection.closeQuietly(c);
                if (durability != null) {
                    durability.close();
                }
                throw e;
            }
        } catch (final Exception e) {
            throw new StoreUnavailableException("cannot open the config database " + name + ": " + e.getMessage(), e);
        }
    }

    /** A new connection after a failure: whatever the database lost with the broken one is restored first. */
    private Connection reopen(final Connector connector) throws SQLException, IOException {
        final Connection c = connector.connect();
        try {
            durability.restore(c);
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

    @Override
    public Map<String, Long> rejectionsSince(final Instant since) throws StoreUnavailableException {
        return reads.read("count the rejections", c -> tables.rejectionsSince(c, since));
    }

    @Override
    public synchronized Map<String, ConfigResult> answered(
            final String service, final Collection<String> requestIds, final Instant now)
            throws StoreUnavailableException {
        if (!dialect.followedByOthers() || requestIds.isEmpty()) {
            return Map.of();
        }
        return onWriterConnection("read request answers", c -> RequestAnswers.find(c, service, requestIds, now));
    }

    /**
     * Brings every stored version to canonical form {@code form} once per database: {@code inForm} gives a version as
     * that form writes it (text and checksum), or the same version when nothing changes. Recorded in {@code cm_meta}
     * as {@value #FORM_KEY}, in the same transaction as the rewritten rows, under the migration lock (brokers starting
     * together on a shared database rewrite it once).
     *
     * @return the current versions that changed (their retained topics differ from the database now)
     */
    public synchronized List<ConfigVersion> bringToForm(final int form, final UnaryOperator<ConfigVersion> inForm)
            throws StoreUnavailableException {
        final Connection c = connection.get();
        try {
            dialect.lockMigrations(c);
            try {
                final int stored =
                        tables.meta(c, FORM_KEY).map(Integer::parseInt).orElse(1);
                if (stored >= form) {
                    return List.of();
                }
                int rewritten = 0;
                for (final ConfigVersion v : tables.formCandidates(c, "cm_history")) {
                    final ConfigVersion now = inForm.apply(v);
                    if (!now.equals(v)) {
                        tables.rewrite(c, "cm_history", now);
                        rewritten++;
                    }
                }
                final List<ConfigVersion> current = new ArrayList<>();
                for (final ConfigVersion v : tables.formCandidates(c, "cm_current")) {
                    final ConfigVersion now = inForm.apply(v);
                    if (!now.equals(v)) {
                        tables.rewrite(c, "cm_current", now);
                        current.add(now);
                    }
                }
                tables.setMeta(c, FORM_KEY, Integer.toString(form));
                c.commit();
                durability.syncCommitted(c);
                log.info(
                        "config-manager: stored configs brought to canonical form {}: {} version(s) rewritten, {} "
                                + "current",
                        form,
                        rewritten,
                        current.size());
                return current;
            } finally {
                dialect.unlockMigrations(c);
                c.commit();
            }
        } catch (final IOException e) {
            throw new StoreUnavailableException("cannot sync the config database: " + e.getMessage(), e);
        } catch (final SQLException | RuntimeException e) {
            throw connection.dropAfter("bring the stored configs to canonical form " + form, e);
        }
    }

    /**
     * Written in chunks of {@value #REPORT_CHUNK}, each its own short transaction under this store's lock (a config
     * commit waits for one chunk at most), then made durable: on H2 by the next housekeeping sync, which runs about
     * once a second anyway, or by a sync of their own after {@value #REPORT_SYNC_WAIT_MS} ms (waited for without the
     * lock); on PostgreSQL each commit is durable already.
     */
    @Override
    public List<ClientReport> recordReports(final List<ClientReport> reports, final int maxClientsPerService)
            throws StoreUnavailableException, WriteRefusedException {
        final List<ClientReport> refused = new ArrayList<>();
        for (int from = 0; from < reports.size(); from += REPORT_CHUNK) {
            refused.addAll(writeReports(
                    reports.subList(from, Math.min(reports.size(), from + REPORT_CHUNK)), maxClientsPerService));
        }
        if (!reports.isEmpty()) {
            awaitReportsSynced();
        }
        return refused;
    }

    private synchronized List<ClientReport> writeReports(
            final List<ClientReport> reports, final int maxClientsPerService)
            throws StoreUnavailableException, WriteRefusedException {
        final Connection c = connection.get();
        try {
            final List<ClientReport> refused = ClientReportTable.write(c, dialect, reports, maxClientsPerService);
            c.commit();
            reportCommits++;
            return refused;
        } catch (final SQLException e) {
            Durability.refuseIfAboutTheRows(c, e);
            throw connection.dropAfter("store " + reports.size() + " client report(s)", e);
        }
    }

    /** Until a sync covers every report committed so far; if the housekeeping does not come in time, syncs itself. */
    private synchronized void awaitReportsSynced() throws StoreUnavailableException {
        if (!durability.syncsCommitsLater()) {
            reportsSynced = reportCommits;
            return;
        }
        final long mine = reportCommits;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REPORT_SYNC_WAIT_MS);
        while (reportsSynced < mine) {
            final long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                syncReports(connection.get());
                return;
            }
            try {
                wait(left); // the lock is free meanwhile: config commits go on
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreUnavailableException("interrupted while the reports were synced", e);
            }
        }
    }

    /** Under this store's lock. */
    private void syncReports(final Connection c) throws StoreUnavailableException {
        final long covered = reportCommits;
        try {
            durability.syncCommitted(c);
        } catch (final SQLException e) {
            throw connection.dropAfter("sync the client reports", e);
        } catch (final IOException e) {
            // H2 is synced; emptying the journal after it failed, which the housekeeping retries
            log.warn("config-manager: after syncing client reports: {}", e.toString());
        }
        reportsSynced = covered;
        notifyAll();
    }

    @Override
    public List<StoredReport> reports() throws StoreUnavailableException {
        return reads.read("read the client reports", ClientReportTable::read);
    }

    @Override
    public synchronized int forgetReports(final String clientId) throws StoreUnavailableException {
        return onWriterConnection("forget a client's reports", c -> ClientReportTable.forget(c, clientId));
    }

    /** Stored and made durable at once (a schema is rare and has no journal record of its own). */
    @Override
    public synchronized void putSchema(final String service, final String schemaJson, final AuditRecord audit)
            throws StoreUnavailableException {
        final Connection c = connection.get();
        try {
            tables.putSchema(c, service, schemaJson, audit.at(), audit.requester());
            tables.write(c, List.of(), List.of(audit));
            c.commit();
            durability.syncCommitted(c);
        } catch (final IOException e) {
            // the schema is synced in the database; only the housekeeping after it failed, which is retried
            log.warn("config-manager: after storing a schema: {}", e.toString());
        } catch (final SQLException e) {
            throw connection.dropAfter("store the schema of " + service, e);
        }
    }

    /**
     * On a connection of its own, in one snapshot, so that a long export never holds up a commit or the console's
     * other reads.
     */
    @Override
    public void exportTo(final StoreContent.Sink sink, final boolean withAudit)
            throws StoreUnavailableException, IOException {
        try (Connection c = connector.connect()) {
            dialect.snapshotReads(c);
            sink.header(new StoreContent.Header(
                    tables.meta(c, Migrations.EPOCH_KEY).orElse(epoch),
                    tables.meta(c, FORM_KEY).map(Integer::parseInt).orElse(1),
                    null));
            tables.exportSchemas(c, sink);
            tables.exportVersions(c, sink);
            if (withAudit) {
                tables.exportAudit(c, sink);
            }
            c.commit();
        } catch (final SQLException e) {
            throw new StoreUnavailableException("the config database failed to export: " + e.getMessage(), e);
        }
    }

    /**
     * On the writer's connection, under this store's lock, so that no commit of this broker falls between the check
     * that the store is empty and the rows; on a shared database the head row is locked too, which holds every other
     * broker's commits until this one ends. The source should be local (a spooled file): it is read under the locks.
     * The rows bypass the journal: H2 is synced at once after the commit.
     */
    @Override
    public synchronized long importFrom(final StoreContent.Source source)
            throws StoreUnavailableException, IOException {
        final StoreContent.Header header = source.header();
        if (header.canonicalForm() != CanonicalJson.FORM) {
            throw new ImportRefusedException(
                    ImportRefusedException.Reason.INVALID_IMPORT,
                    "the export is in canonical form " + header.canonicalForm() + "; this release writes form "
                            + CanonicalJson.FORM + ": import it with the release that exported it, or export again");
        }
        final Connection c = connection.get();
        final long loaded;
        try {
            if (dialect.followedByOthers()) {
                ChangeLog.lockHead(c);
            }
            final long[] present = tables.versionsAndSchemas(c);
            if (present[0] > 0 || present[1] > 0) {
                throw new ImportRefusedException(
                        ImportRefusedException.Reason.STORE_NOT_EMPTY,
                        "this store holds " + present[0] + " version(s) and " + present[1] + " schema(s); an import "
                                + "fills only an empty store (a new data folder, or a new database)");
            }
            source.ready();
            final ConfigTables.Loader loader = tables.loader(c);
            source.rows(loader);
            loaded = loader.finish();
            if (dialect.followedByOthers()) {
                ChangeLog.logCurrent(c, tables.writer());
            }
            tables.setMeta(c, Migrations.EPOCH_KEY, header.epoch());
            c.commit();
        } catch (final ConfigTables.Failed e) {
            throw refusedOrDropped(c, e.cause());
        } catch (final SQLException e) {
            throw refusedOrDropped(c, e);
        } catch (final IOException | RuntimeException e) {
            rollbackQuietly(c);
            throw e;
        }
        // committed: from here on the store is the imported one, whatever happens to the sync
        epoch = header.epoch();
        log.info("config-manager: imported {} version(s); the config epoch is now {}", loaded, epoch);
        try {
            durability.syncCommitted(c);
        } catch (final SQLException | IOException e) {
            log.error(
                    "config-manager: the import is committed but syncing the database failed ({}); the connection is "
                            + "opened again, which syncs it",
                    e.toString());
            connection.dropAfter("sync after an import", e instanceof SQLException q ? q : new SQLException(e));
        }
        return loaded;
    }

    /** A row the database refused (a value too long, a key twice) refuses the import; else the database failed. */
    private StoreUnavailableException refusedOrDropped(final Connection c, final SQLException e)
            throws ImportRefusedException {
        final WriteRefusedException refused = Durability.refusal(e, WriteRefusedException::new);
        if (refused != null) {
            rollbackQuietly(c);
            throw new ImportRefusedException(
                    ImportRefusedException.Reason.INVALID_IMPORT,
                    "the database refused a row of the export: " + SqlErrors.describe(e));
        }
        return connection.dropAfter("import", e);
    }

    private static void rollbackQuietly(final Connection c) {
        try {
            c.rollback();
        } catch (final SQLException e) {
            log.debug("config-manager: rollback after a failed import: {}", e.toString());
        }
    }

    /**
     * H2's {@code BACKUP TO} under this store's lock, after a sync that empties the journal: the copy holds every
     * acknowledged commit, and no commit can land between the sync and the copy. A copy that cannot be written (disk
     * full, no permission) is removed and fails alone; the database goes on. PostgreSQL is backed up with its own
     * tools.
     */
    @Override
    public synchronized void backup(final Path file) throws StoreUnavailableException, IOException {
        if (dialect != SqlDialect.H2) {
            ConfigStore.super.backup(file);
            return;
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        final Connection c = connection.get();
        try {
            durability.syncCommitted(c);
        } catch (final SQLException e) {
            throw connection.dropAfter("sync before a backup", e);
        }
        try (var s = c.prepareStatement("BACKUP TO ?")) {
            s.setString(1, file.toAbsolutePath().toString());
            s.execute();
            c.commit();
        } catch (final SQLException e) {
            Files.deleteIfExists(file);
            rollbackQuietly(c);
            throw new IOException("the backup could not be written to " + file + ": " + SqlErrors.describe(e), e);
        }
    }

    /**
     * On PostgreSQL, a {@link ChangeFeed} from the revision the log is at now; an H2 file has only this broker as its
     * writer, so nothing to follow.
     */
    @Override
    public AutoCloseable follow(final Consumer<ConfigVersion> changed) throws StoreUnavailableException {
        if (dialect != SqlDialect.POSTGRESQL) {
            return () -> {};
        }
        final long now;
        synchronized (this) {
            now = onWriterConnection("read the change log", ChangeLog::revision);
        }
        return new ChangeFeed(connector, tables, now, changed, this::epochRead, FEED_POLL_MS);
    }

    /**
     * The epoch as the change feed read it with other brokers' changes: another broker's import changed it, and the
     * versions it brought are published with it.
     */
    private void epochRead(final String now) {
        if (!now.equals(epoch)) {
            log.info("config-manager: the shared database's config epoch is now {} (an import)", now);
            epoch = now;
        }
    }

    @Override
    public Optional<SharedPresence> presence(final String node) {
        return dialect.followedByOthers() ? Optional.of(new SharedPresence(connector, node)) : Optional.empty();
    }

    @Override
    public Optional<PublisherRole> publisherRole() {
        return dialect.followedByOthers() ? Optional.of(new PublisherRole(connector)) : Optional.empty();
    }

    /** Durable when it returns: see {@link Durability#commit}. */
    @Override
    public synchronized void commit(
            final List<ConfigVersion> versions, final List<AuditRecord> audit, final List<RequestAnswer> answers)
            throws StoreUnavailableException, WriteRefusedException {
        if (versions.isEmpty() && audit.isEmpty() && answers.isEmpty()) {
            return;
        }
        final Connection c = connection.get();
        try {
            durability.commit(c, versions, audit, answers);
        } catch (final SQLException | IOException e) {
            throw connection.dropAfter("commit " + versions.size() + " version(s)", e);
        }
        if (durability.housekeepingDue()) {
            housekeep();
        }
    }

    /**
     * The scheduled housekeeping. H2's sync (10–50 ms under load on this project's machine) runs on a connection of its
     * own without this store's lock, so commits go on beside it instead of waiting for it once a second; what it
     * covers is decided under the lock before it starts (see {@link Durability#beginHousekeeping}).
     */
    private void housekeepBeside() {
        final Durability.SyncBeside sync;
        final long coveredReports;
        synchronized (this) {
            final Optional<Connection> c = connection.ifOpen();
            if (c.isEmpty()) {
                // the writer's connection failed: the database is opened again with it, not kept open by this one
                closeHousekeepingConnection();
                return;
            }
            final boolean reportsWaiting = reportsSynced < reportCommits;
            coveredReports = reportCommits;
            try {
                final Optional<Durability.SyncBeside> begun = durability.beginHousekeeping(c.get(), reportsWaiting);
                if (begun.isEmpty()) {
                    if (reportsSynced < reportCommits) {
                        syncReports(c.get());
                    }
                    return;
                }
                sync = begun.get();
            } catch (final SQLException e) {
                connection.dropAfter("sync (commits stay in the journal)", e);
                return;
            } catch (final StoreUnavailableException e) {
                log.warn("config-manager: syncing the config database failed: {}", e.getMessage());
                return;
            } catch (final IOException | RuntimeException e) {
                log.warn("config-manager: the housekeeping failed; trying again: {}", e.toString());
                return;
            }
        }
        try {
            sync.sync(housekeepingConnection());
        } catch (final SQLException | RuntimeException e) {
            closeHousekeepingConnection();
            synchronized (this) {
                // as when the writer's own connection fails a sync: opened again, it restores what H2 lost
                connection.dropAfter("sync (commits stay in the journal)", e);
            }
            return;
        }
        synchronized (this) {
            try {
                if (!sync.finish()) {
                    closeHousekeepingConnection();
                    connection.dropAfter(
                            "sync (the database was opened afresh and lacks the latest commits; they stay in the "
                                    + "journal)",
                            new SQLException("the synced database lacks the journal's latest commits"));
                    return;
                }
            } catch (final IOException | RuntimeException e) {
                log.warn(
                        "config-manager: the database is synced but the housekeeping after it failed; trying again: {}",
                        e.toString());
            }
            if (reportsSynced < coveredReports) {
                reportsSynced = coveredReports;
                notifyAll();
            }
        }
    }

    /** Only the housekeeping thread uses it. */
    private Connection housekeepingConnection() throws SQLException {
        if (housekeepingConnection == null) {
            housekeepingConnection = connector.connect();
        }
        return housekeepingConnection;
    }

    private void closeHousekeepingConnection() {
        if (housekeepingConnection != null) {
            ReopeningConnection.closeQuietly(housekeepingConnection);
            housekeepingConnection = null;
        }
    }

    /** The durability's housekeeping at once, under the lock: a commit made it due. */
    private synchronized void housekeep() {
        final Optional<Connection> c = connection.ifOpen();
        if (c.isEmpty()) {
            return;
        }
        try {
            if (reportsSynced < reportCommits) {
                syncReports(c.get()); // syncs H2, and so also whatever the journal holds
            }
            durability.housekeeping(c.get());
        } catch (final SQLException e) {
            // dropped like any failed connection; reopening it restores again
            connection.dropAfter("sync (commits stay in the journal)", e);
        } catch (final StoreUnavailableException e) {
            // the connection is dropped; reports waiting for this sync sync themselves, or are answered unavailable
            log.warn("config-manager: syncing the config database failed: {}", e.getMessage());
        } catch (final IOException e) {
            log.warn(
                    "config-manager: the database is synced but the housekeeping after it failed; trying again: {}",
                    e.toString());
        } catch (final RuntimeException e) {
            log.error("config-manager: syncing the config database failed", e);
        }
    }

    @Override
    public void close() {
        // no interrupt: an interrupted thread in the middle of file I/O closes the channel under H2 and the journal;
        // waited for, since its sync may be running beside the lock on a connection of its own
        Threads.stop(housekeeping, false, 30);
        if (housekeeping.isTerminated()) {
            closeHousekeepingConnection();
        } else {
            log.warn("config-manager: the config database's sync did not end within 30 s; closing without waiting");
        }
        closeDatabase();
    }

    private synchronized void closeDatabase() {
        reads.close();
        connection.ifOpen().ifPresent(c -> {
            try {
                durability.syncCommitted(c);
            } catch (final SQLException | IOException e) {
                log.warn(
                        "config-manager: syncing the config database at close failed; its last commits stay in "
                                + "the journal: {}",
                        e.toString());
            }
        });
        connection.close();
        try {
            durability.close();
        } catch (final IOException e) {
            log.warn("config-manager: closing the journal failed: {}", e.toString());
        }
    }
}
