package dev.configmanager.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Durability that is the database's own: a commit returns once the server has it on disk (PostgreSQL with
 * {@code synchronous_commit} on, its default). Nothing to restore, nothing to sync later.
 */
final class DatabaseCommits implements Durability {

    private static final Duration FORGET_EVERY = Duration.ofMinutes(1);

    private final ConfigTables tables;
    private final Clock clock;
    private Instant nextForget = Instant.MIN;

    DatabaseCommits(final ConfigTables tables, final Clock clock) {
        this.tables = tables;
        this.clock = clock;
    }

    @Override
    public void restore(final Connection c) {}

    /** One statement in its own transaction ({@link SharedCommit}): one round trip per commit. */
    @Override
    public void commit(
            final Connection c,
            final List<ConfigVersion> versions,
            final List<AuditRecord> audit,
            final List<RequestAnswer> answers)
            throws SQLException, WriteRefusedException {
        c.setAutoCommit(true);
        try {
            SharedCommit.write(c, versions, audit, answers, tables.writer());
        } catch (final SQLException e) {
            // the statement's transaction is rolled back already: nothing to undo
            final WriteRefusedException refused = Durability.refusal(e, DatabaseCommits::keyViolation);
            if (refused != null) {
                throw refused;
            }
            throw e;
        } finally {
            c.setAutoCommit(false);
        }
        if (tables.audited(c, audit.size())) {
            c.commit();
        }
    }

    /** The key that was violated says which: a request id answered first by another broker, or a version taken. */
    private static WriteRefusedException keyViolation(final String message, final SQLException e) {
        return SharedCommit.violatesKeyOf(e, "cm_answer")
                ? new RequestAnsweredException("another broker answered one of these request ids first: " + message, e)
                : new VersionTakenException("another writer stored one of these versions first: " + message, e);
    }

    @Override
    public boolean syncsCommitsLater() {
        return false;
    }

    @Override
    public void syncCommitted(final Connection c) {}

    /** Once a minute: the request answers whose dedup window ended. */
    @Override
    public void housekeeping(final Connection c) throws SQLException {
        final Instant now = clock.instant();
        if (now.isBefore(nextForget)) {
            return;
        }
        nextForget = now.plus(FORGET_EVERY);
        RequestAnswers.forgetExpired(c, now);
        c.commit();
    }

    @Override
    public boolean housekeepingDue() {
        return false;
    }

    @Override
    public void close() {}
}
