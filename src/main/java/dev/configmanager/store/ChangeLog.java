package dev.configmanager.store;

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
     * and have no gaps) and logs one per version; the dialect wakes the other brokers when it commits.
     */
    static void append(final Connection c, final SqlDialect dialect, final List<ConfigVersion> versions)
            throws SQLException {
        try (var head = c.prepareStatement("UPDATE cm_head SET revision = revision + ? WHERE id = 1")) {
            head.setLong(1, versions.size());
            head.executeUpdate();
        }
        final long last = revision(c);
        try (var change = c.prepareStatement("INSERT INTO cm_change (revision, service, version) VALUES (?, ?, ?)")) {
            long revision = last - versions.size();
            for (final ConfigVersion v : versions) {
                change.setLong(1, ++revision);
                change.setString(2, v.service());
                change.setLong(3, v.version());
                change.addBatch();
            }
            change.executeBatch();
        }
        dialect.announceChange(c, last);
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

    /** One entry of the change log. */
    record Change(long revision, String service, long version) {}

    /** The change log after {@code revision}, oldest first, at most {@code limit} entries. */
    static List<Change> after(final Connection c, final long revision, final int limit) throws SQLException {
        try (var s = c.prepareStatement(
                "SELECT revision, service, version FROM cm_change WHERE revision > ? ORDER BY revision LIMIT ?")) {
            s.setLong(1, revision);
            s.setInt(2, limit);
            final List<Change> changes = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    changes.add(new Change(rs.getLong(1), rs.getString(2), rs.getLong(3)));
                }
            }
            return changes;
        }
    }
}
