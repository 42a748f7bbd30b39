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

    @Override
    public void commit(
            final Connection c,
            final List<ConfigVersion> versions,
            final List<AuditRecord> audit,
            final List<RequestAnswer> answers)
            throws SQLException, WriteRefusedException {
        try {
            tables.write(c, versions, audit);
        } catch (final SQLException e) {
            Durability.refuseIfAboutTheRows(c, e);
            throw e;
        }
        if (!answers.isEmpty()) {
            try {
                RequestAnswers.insert(c, answers);
            } catch (final SQLException e) {
                Durability.refuseAnswers(c, e);
                throw e;
            }
        }
        c.commit();
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
