package dev.configmanager.store;

import org.h2.Driver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

/**
 * The embedded H2 file database: the {@link SqlConfigStore} made durable by {@link JournalledCommits}. A commit is
 * durable once its journal record is synced; H2 itself is synced (and the journal emptied) about once a second.
 */
public final class H2ConfigStore {

    /** How often H2 itself is synced, and the journal emptied, when commits have come since the last time. */
    private static final long CHECKPOINT_INTERVAL_MS = 1_000;

    private H2ConfigStore() {}

    /**
     * Opens (creating if needed) the database at {@code file} ({@code .mv.db} is appended by H2) and migrates it.
     */
    public static SqlConfigStore open(final Path file, final int auditMaxRows) throws StoreUnavailableException {
        return open(file, auditMaxRows, CHECKPOINT_INTERVAL_MS);
    }

    /** With H2 synced at most every {@code checkpointIntervalMillis} (tests hold commits in the journal). */
    static SqlConfigStore open(final Path file, final int auditMaxRows, final long checkpointIntervalMillis)
            throws StoreUnavailableException {
        return open(file, auditMaxRows, checkpointIntervalMillis, CommitJournal.Opener.REAL);
    }

    /** With the journal's file opened by {@code journalOpener} (tests make its writes fail). */
    static SqlConfigStore open(
            final Path file,
            final int auditMaxRows,
            final long checkpointIntervalMillis,
            final CommitJournal.Opener journalOpener)
            throws StoreUnavailableException {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (final IOException e) {
            throw new StoreUnavailableException(
                    "cannot open the config database " + file + ".mv.db: " + e.getMessage(), e);
        }
        return SqlConfigStore.open(
                file + ".mv.db",
                () -> connect(file),
                SqlDialect.H2,
                auditMaxRows,
                tables -> JournalledCommits.open(journalPath(file), journalOpener, tables),
                checkpointIntervalMillis);
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
}
