package dev.configmanager.store;

import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * How a commit of the {@link SqlConfigStore} becomes durable: H2's through our journal ({@link JournalledCommits}),
 * PostgreSQL's through its own synchronous commit ({@link DatabaseCommits}). Called under the store's lock.
 */
interface Durability extends AutoCloseable {

    /** SQLSTATE of a unique or primary key violation, in H2 and PostgreSQL alike. */
    String UNIQUE_VIOLATION = "23505";

    /** On a connection just opened, before any other use: makes the database hold everything that was durable. */
    void restore(Connection c) throws SQLException, IOException;

    /**
     * Writes the rows in {@code c}'s transaction and commits them: durable when it returns. Request answers are
     * kept only where other brokers share the database (one broker remembers them itself).
     *
     * @throws WriteRefusedException the database refused these rows; rolled back, nothing kept
     */
    void commit(Connection c, List<ConfigVersion> versions, List<AuditRecord> audit, List<RequestAnswer> answers)
            throws SQLException, IOException, WriteRefusedException;

    /** Whether what {@code c} commits without {@link #commit} is durable only after {@link #syncCommitted}. */
    boolean syncsCommitsLater();

    /** Makes what {@code c} committed without {@link #commit} (a schema) durable at once. */
    void syncCommitted(Connection c) throws SQLException, IOException;

    /**
     * Work off the writer's path, every second or so, and at close: H2 syncs itself and empties the journal.
     *
     * @throws SQLException the database failed (the connection is dropped)
     * @throws IOException  the database is fine, the housekeeping is retried next time
     */
    void housekeeping(Connection c) throws SQLException, IOException;

    /** Whether the commit just made should do the housekeeping at once rather than in a second. */
    boolean housekeepingDue();

    /**
     * The scheduled housekeeping, begun under the store's lock: either done at once ({@link #housekeeping}, then
     * empty), or a sync that may run beside the commits that follow, on another connection, without the lock.
     *
     * @param syncAnyway commits made outside {@link #commit} (client reports) wait for a sync
     */
    default Optional<SyncBeside> beginHousekeeping(final Connection c, final boolean syncAnyway)
            throws SQLException, IOException {
        housekeeping(c);
        return Optional.empty();
    }

    /** A sync that makes durable everything committed before it began, whatever is committed meanwhile. */
    interface SyncBeside {
        /** Without the store's lock, on a connection of the housekeeping's own. */
        void sync(Connection other) throws SQLException;

        /**
         * Under the store's lock again: what the sync made durable need not be kept elsewhere any more.
         *
         * @return {@code false} when the database the sync reached did not hold what the store's own connection
         *     committed (it was opened afresh from its file after the database shut down): nothing is let go, and
         *     the store's connection must be opened again, which restores what the database lost
         */
        boolean finish() throws IOException;
    }

    @Override
    void close() throws IOException;

    /**
     * A data exception (SQLSTATE class 22: a value too long, out of range) or a constraint violation (class 23) is
     * about these rows, not the database: the connection stays, so one bad request cannot take the store down for
     * everyone else's writes. Rolls back and throws {@link WriteRefusedException} for those ({@link
     * VersionTakenException} for a version number stored first by another writer); returns for others.
     */
    static void refuseIfAboutTheRows(final Connection c, final SQLException e) throws WriteRefusedException {
        // the only key a commit can collide on is (service, version) of cm_history: a version taken first
        final WriteRefusedException refused = refusal(
                e,
                (m, cause) ->
                        new VersionTakenException("another writer stored one of these versions first: " + m, cause));
        if (refused == null) {
            return;
        }
        try {
            c.rollback();
        } catch (final SQLException rollback) {
            e.addSuppressed(rollback);
            return; // not even a rollback: handled as a failed database
        }
        throw refused;
    }

    /**
     * What {@link #refuseIfAboutTheRows} throws for {@code e}, or {@code null} when {@code e} is about the database.
     *
     * @param keyViolation the refusal for a unique key violation, given the message and the cause
     */
    static @Nullable WriteRefusedException refusal(
            final SQLException e, final BiFunction<String, SQLException, WriteRefusedException> keyViolation) {
        final String state = e.getSQLState();
        if (state == null || !(state.startsWith("22") || state.startsWith("23"))) {
            return null;
        }
        if (UNIQUE_VIOLATION.equals(state)) {
            return keyViolation.apply(SqlErrors.describe(e), e);
        }
        LoggerFactory.getLogger(Durability.class)
                .warn("config-manager: the config database refused a commit's rows: {}", SqlErrors.describe(e));
        return new WriteRefusedException("the config database refused these rows: " + SqlErrors.describe(e), e);
    }
}
