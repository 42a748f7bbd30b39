package dev.configmanager.store;

import dev.configmanager.wire.AppliedReport;
import dev.configmanager.wire.CanonicalJson;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The latest report of each client on each service ({@code cm_applied}). Rows are keyed by a hash of service and
 * client id, since a client id may be far longer than a key can be; a second hash of the client id alone finds every
 * row of a client that is forgotten.
 *
 * <p>Latest by when a broker took the report in, not by when it was stored: on a shared database a client that moved
 * to another broker may have its newer report stored there before the older one, still in this broker's batch, is.
 * A stored report stays only while it is at most {@link #SUPERSEDED_WITHIN} ahead of the new one, so a broker whose
 * clock ran ahead cannot hold a client's later reports off for longer. Times are stored to the millisecond, as taken
 * in, so that the comparison sees what the column holds.
 */
final class ClientReportTable {

    private static final String COLUMNS =
            "applied_key, client_key, service, client_id, version, checksum, ok, error, reported_at";

    private static final int KEYS_PER_QUERY = 256;

    /** How far ahead a stored report may be and still count as newer than the one being written. */
    static final Duration SUPERSEDED_WITHIN = Duration.ofSeconds(10);

    /** The stored row is replaced unless it was taken in later, by at most {@link #SUPERSEDED_WITHIN}. */
    private static final String REPLACE_IF = "cm_applied.reported_at <= EXCLUDED.reported_at OR cm_applied.reported_at"
            + " > EXCLUDED.reported_at + INTERVAL '" + SUPERSEDED_WITHIN.toSeconds() + " seconds'";

    private ClientReportTable() {}

    /**
     * Writes each report over the client's previous one, unless that one was taken in later (it is the newer news;
     * the older report is dropped, not refused). A client new to a service is taken only while the service has reports
     * of fewer than {@code maxClientsPerService} clients.
     *
     * @return the reports refused for that bound, nothing of them kept
     */
    static List<ClientReport> write(
            final Connection c,
            final SqlDialect dialect,
            final List<ClientReport> reports,
            final int maxClientsPerService)
            throws SQLException {
        final List<ClientReport> notUpdated = new ArrayList<>();
        try (var update = c.prepareStatement("UPDATE cm_applied SET version = ?, checksum = ?, ok = ?, error = ?, "
                + "reported_at = ? WHERE applied_key = ? AND (reported_at <= ? OR reported_at > ?)")) {
            for (final ClientReport r : reports) {
                final AppliedReport a = r.report();
                final OffsetDateTime at = takenIn(r);
                update.setLong(1, a.version());
                update.setString(2, a.checksum());
                update.setBoolean(3, a.ok());
                update.setString(4, a.error());
                update.setObject(5, at);
                update.setString(6, key(r));
                update.setObject(7, at);
                update.setObject(8, at.plus(SUPERSEDED_WITHIN));
                update.addBatch();
            }
            final int[] updated = update.executeBatch();
            for (int i = 0; i < updated.length; i++) {
                if (updated[i] == 0) {
                    notUpdated.add(reports.get(i));
                }
            }
        }
        // not updated: a client new to the service, or one whose stored report was taken in after this one
        final Set<String> stored = existing(c, notUpdated);
        final List<ClientReport> missing = new ArrayList<>();
        for (final ClientReport r : notUpdated) {
            if (!stored.contains(key(r))) {
                missing.add(r);
            }
        }
        if (missing.isEmpty()) {
            return List.of();
        }
        final List<ClientReport> refused = new ArrayList<>();
        final Map<String, Integer> counts = new HashMap<>();
        // an upsert: another broker may take the same client's first report at the same time
        try (var insert = c.prepareStatement(dialect.upsertIf("cm_applied", COLUMNS, "applied_key", REPLACE_IF))) {
            for (final ClientReport r : missing) {
                final int count = counts.containsKey(r.service()) ? counts.get(r.service()) : count(c, r.service());
                if (count >= maxClientsPerService) {
                    refused.add(r);
                    counts.put(r.service(), count);
                    continue;
                }
                counts.put(r.service(), count + 1);
                final AppliedReport a = r.report();
                insert.setString(1, key(r));
                insert.setString(2, CanonicalJson.sha256Hex(r.clientId()));
                insert.setString(3, r.service());
                insert.setString(4, r.clientId());
                insert.setLong(5, a.version());
                insert.setString(6, a.checksum());
                insert.setBoolean(7, a.ok());
                insert.setString(8, a.error());
                insert.setObject(9, takenIn(r));
                insert.addBatch();
            }
            insert.executeBatch();
        }
        return refused;
    }

    /** Which of the reports' rows exist, in one query per {@value #KEYS_PER_QUERY} reports. */
    private static Set<String> existing(final Connection c, final List<ClientReport> reports) throws SQLException {
        final Set<String> found = new HashSet<>();
        for (int from = 0; from < reports.size(); from += KEYS_PER_QUERY) {
            final List<ClientReport> part = reports.subList(from, Math.min(reports.size(), from + KEYS_PER_QUERY));
            try (var s = c.prepareStatement("SELECT applied_key FROM cm_applied WHERE applied_key IN ("
                    + "?, ".repeat(part.size() - 1) + "?)")) {
                for (int i = 0; i < part.size(); i++) {
                    s.setString(i + 1, key(part.get(i)));
                }
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        found.add(rs.getString(1));
                    }
                }
            }
        }
        return found;
    }

    /**
     * When the report was taken in, as the column holds it: to the millisecond (the column's precision; a finer value
     * can compare earlier than a stored one that the column rounded up), with its offset (H2 would take a bare timestamp as the
     * JVM's local time, ambiguous in the hour the clocks go back).
     */
    private static OffsetDateTime takenIn(final ClientReport r) {
        return OffsetDateTime.ofInstant(r.reportedAt().truncatedTo(ChronoUnit.MILLIS), ZoneOffset.UTC);
    }

    private static String key(final ClientReport r) {
        return CanonicalJson.sha256Hex(r.service() + "\0" + r.clientId());
    }

    private static int count(final Connection c, final String service) throws SQLException {
        try (var s = c.prepareStatement("SELECT COUNT(*) FROM cm_applied WHERE service = ?")) {
            s.setString(1, service);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Every report, with the stored checksum of the version it names. */
    static List<StoredReport> read(final Connection c) throws SQLException {
        try (var s = c.prepareStatement("SELECT a.service, a.client_id, a.version, a.checksum, a.ok, a.error, "
                + "a.reported_at, h.checksum FROM cm_applied a LEFT JOIN cm_history h ON h.service = a.service "
                + "AND h.version = a.version ORDER BY a.service, a.client_id")) {
            final List<StoredReport> rows = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    final AppliedReport report =
                            new AppliedReport(rs.getLong(3), rs.getString(4), rs.getBoolean(5), rs.getString(6));
                    rows.add(new StoredReport(
                            new ClientReport(
                                    rs.getString(1),
                                    rs.getString(2),
                                    report,
                                    rs.getTimestamp(7).toInstant()),
                            rs.getString(8)));
                }
            }
            return rows;
        }
    }

    /** Removes every report of a client (it is gone for good). */
    static int forget(final Connection c, final String clientId) throws SQLException {
        try (var s = c.prepareStatement("DELETE FROM cm_applied WHERE client_key = ?")) {
            s.setString(1, CanonicalJson.sha256Hex(clientId));
            return s.executeUpdate();
        }
    }
}
