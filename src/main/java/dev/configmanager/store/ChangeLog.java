package dev.configmanager.store;

import org.jspecify.annotations.Nullable;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The change log of a shared database ({@code cm_head}, {@code cm_change}): one global, gap-free revision per stored
 * version, which every broker follows ({@link ChangeFeed}).
 */
final class ChangeLog {

    private ChangeLog() {}

    /**
     * Takes the next revisions from the head row (locked until the transaction ends, so revisions follow commit order
     * and have no gaps), logs one per version marked with {@code writer}, and wakes the other brokers when the
     * transaction commits: one statement, one round trip while the head row is held. PostgreSQL's SQL: only a shared
     * database has a change log that others follow.
     */
    static void append(final Connection c, final List<ConfigVersion> versions, final String writer)
            throws SQLException {
        final String[] services = new String[versions.size()];
        final Long[] numbers = new Long[versions.size()];
        for (int i = 0; i < services.length; i++) {
            services[i] = versions.get(i).service();
            numbers[i] = versions.get(i).version();
        }
        try (var s = c.prepareStatement("WITH head AS (UPDATE cm_head SET revision = revision + ? WHERE id = 1 "
                + "RETURNING revision), "
                + "logged AS (INSERT INTO cm_change (revision, service, version, writer) "
                + "SELECT head.revision - ? + u.ord, u.service, u.version, ? FROM head, "
                + "unnest(?::varchar[], ?::bigint[]) WITH ORDINALITY AS u(service, version, ord)) "
                + "SELECT pg_notify('" + SqlDialect.CHANGES_CHANNEL + "', revision::text) FROM head")) {
            s.setInt(1, versions.size());
            s.setInt(2, versions.size());
            s.setString(3, writer);
            s.setArray(4, c.createArrayOf("varchar", services));
            s.setArray(5, c.createArrayOf("bigint", numbers));
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("the database has no change log head");
                }
            }
        }
    }

    /** The newest revision in the change log. */
    static long revision(final Connection c) throws SQLException {
        try (var s = c.prepareStatement("SELECT revision FROM cm_head WHERE id = 1");
                ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("the database has no change log head");
            }
            return rs.getLong(1);
        }
    }

    /**
     * One entry of the change log.
     *
     * @param version the version it logs, or {@code null} when {@code writer} of the feed wrote it (its store has it
     *                already) or it is gone
     */
    record Change(long revision, @Nullable ConfigVersion version) {}

    /**
     * The change log after {@code revision}, oldest first, at most {@code limit} entries, each with its version read
     * in the same query unless {@code writer} (the reader's own store) wrote it.
     */
    static List<Change> after(final Connection c, final long revision, final int limit, final String writer)
            throws SQLException {
        // one key lookup per entry (a LATERAL with LIMIT is never flattened into a join): a join the planner may turn
        // into a scan of the whole history, with statistics not yet gathered on a young database, costs more
        try (var s = c.prepareStatement("SELECT c.revision, h.* FROM cm_change c LEFT JOIN LATERAL (SELECT "
                + ConfigTables.COLUMNS
                + " FROM cm_history WHERE service = c.service AND version = c.version "
                + "AND (c.writer IS NULL OR c.writer <> ?) LIMIT 1) h ON TRUE "
                + "WHERE c.revision > ? ORDER BY c.revision LIMIT ?")) {
            s.setString(1, writer);
            s.setLong(2, revision);
            s.setInt(3, limit);
            final List<Change> changes = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    changes.add(
                            new Change(rs.getLong(1), rs.getString(2) == null ? null : ConfigTables.version(rs, 2)));
                }
            }
            return changes;
        }
    }
}
