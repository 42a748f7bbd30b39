package dev.configmanager.store;

import org.jspecify.annotations.Nullable;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The change log of a shared database ({@code cm_head}, {@code cm_change}): one global, gap-free revision per stored
 * version, taken in the commit's own statement ({@link SharedCommit}), which every broker follows ({@link
 * ChangeFeed}).
 */
final class ChangeLog {

    private ChangeLog() {}

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

    /** Locks the head row until the transaction ends: every commit through any broker waits for it. */
    static void lockHead(final Connection c) throws SQLException {
        try (var s = c.prepareStatement("SELECT revision FROM cm_head WHERE id = 1 FOR UPDATE");
                ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("the database has no change log head");
            }
        }
    }

    /**
     * Logs the current version of every service as a change after the head (an import's), moves the head, and wakes
     * the followers, in the caller's transaction (whose head row lock orders it with every commit).
     */
    static void logCurrent(final Connection c, final String writer) throws SQLException {
        final long head = revision(c);
        final int logged;
        try (var s = c.prepareStatement("INSERT INTO cm_change (revision, service, version, writer) "
                + "SELECT ? + ROW_NUMBER() OVER (ORDER BY service), service, version, ? FROM cm_current")) {
            s.setLong(1, head);
            s.setString(2, writer);
            logged = s.executeUpdate();
        }
        try (var s = c.prepareStatement("UPDATE cm_head SET revision = ? WHERE id = 1")) {
            s.setLong(1, head + logged);
            s.executeUpdate();
        }
        try (var s = c.prepareStatement("SELECT pg_notify('" + SqlDialect.CHANGES_CHANNEL + "', ?)")) {
            s.setString(1, (head + logged) + " " + writer);
            s.execute();
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
     * A page of the change log.
     *
     * @param epoch the config epoch as of the same read ({@code null} on an empty page, or when the database has
     *              none): another broker's import changes it together with the versions it logs
     */
    record Page(List<Change> changes, @Nullable String epoch) {}

    /** The most entries {@link #after} reads at once. */
    static final int PAGE = 500;

    /**
     * The change log after {@code revision}, oldest first, at most {@link #PAGE} entries, each with its version read
     * in the same query unless {@code writer} (the reader's own store) wrote it, and the epoch with them: one round
     * trip per catch-up, on the way from another broker's commit to this broker's subscribers. The page size is
     * written into the query, not bound: a plan made for any revision (the change feed asks for one) then expects
     * at most a page of entries, however long the log grows.
     */
    static Page after(final Connection c, final long revision, final String writer) throws SQLException {
        // one key lookup per entry (a LATERAL with LIMIT is never flattened into a join): a join the planner may turn
        // into a scan of the whole history, with statistics not yet gathered on a young database, costs more
        try (var s = c.prepareStatement("SELECT c.revision, (SELECT meta_value FROM cm_meta WHERE meta_key = ?), h.* "
                + "FROM cm_change c LEFT JOIN LATERAL (SELECT "
                + ConfigTables.COLUMNS
                + " FROM cm_history WHERE service = c.service AND version = c.version "
                + "AND (c.writer IS NULL OR c.writer <> ?) LIMIT 1) h ON TRUE "
                + "WHERE c.revision > ? ORDER BY c.revision LIMIT " + PAGE)) {
            s.setString(1, Migrations.EPOCH_KEY);
            s.setString(2, writer);
            s.setLong(3, revision);
            final List<Change> changes = new ArrayList<>();
            @Nullable String epoch = null;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    epoch = rs.getString(2);
                    changes.add(
                            new Change(rs.getLong(1), rs.getString(3) == null ? null : ConfigTables.version(rs, 3)));
                }
            }
            return new Page(changes, epoch);
        }
    }
}
