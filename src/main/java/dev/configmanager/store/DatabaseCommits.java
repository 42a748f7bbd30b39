package dev.configmanager.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Durability that is the database's own: a commit returns once the server has it on disk (PostgreSQL with
 * {@code synchronous_commit} on, its default). Nothing to restore, nothing to sync later.
 */
final class DatabaseCommits implements Durability {

    private final ConfigTables tables;

    DatabaseCommits(final ConfigTables tables) {
        this.tables = tables;
    }

    @Override
    public void restore(final Connection c) {}

    @Override
    public void commit(final Connection c, final List<ConfigVersion> versions, final List<AuditRecord> audit)
            throws SQLException, WriteRefusedException {
        try {
            tables.write(c, versions, audit);
            c.commit();
        } catch (final SQLException e) {
            Durability.refuseIfAboutTheRows(c, e);
            throw e;
        }
    }

    @Override
    public void syncCommitted(final Connection c) {}

    @Override
    public void housekeeping(final Connection c) {}

    @Override
    public boolean housekeepingDue() {
        return false;
    }

    @Override
    public void close() {}
}
