package dev.configmanager.store;

import dev.configmanager.concurrent.Threads;
import dev.configmanager.wire.ClientText;
import dev.configmanager.wire.HealthStatus;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The presence of every broker's clients in a shared database ({@code cm_broker}, {@code cm_presence}): each broker
 * writes the health states it publishes, in the background and batched (the latest state per client wins), and a
 * heartbeat of its own. A broker whose heartbeat is older than {@link #STALE_AFTER} has stopped or lost the database:
 * its rows are shown as stale, since nobody can say whether its clients are still there.
 * <p>
 * Times of the heartbeat are the database's own clock, so brokers with skewed clocks still judge each other right.
 */
public final class SharedPresence implements PresenceLog {

    private static final Logger log = LoggerFactory.getLogger(SharedPresence.class);

    static final Duration HEARTBEAT = Duration.ofSeconds(5);
    static final Duration STALE_AFTER = HEARTBEAT.multipliedBy(6);
    private static final long FLUSH_MS = 250;
    private static final int MAX_ERR_CHARS = 256;

    /** One client as one broker last saw it. */
    public record ClientPresence(
            String clientId,
            String node,
            boolean online,
            String event,
            @Nullable String err,
            BigDecimal timestamp,
            boolean brokerStale) {}

    private final SqlConfigStore.Connector connector;
    private final String node;
    private final Map<String, HealthStatus> pending = new ConcurrentHashMap<>();
    /** Pending in place of a state: the client's row is deleted (compared by identity). */
    private static final HealthStatus FORGOTTEN =
            new HealthStatus("forgotten", false, "forgotten", null, java.math.BigDecimal.ZERO);

    private final ScheduledExecutorService writer =
            Executors.newSingleThreadScheduledExecutor(Threads.factory("config-manager-presence"));
    private @Nullable Connection connection;
    private boolean announced;
    private Instant nextHeartbeat = Instant.MIN;
    private boolean failing;

    SharedPresence(final SqlConfigStore.Connector connector, final String node) {
        this.connector = connector;
        this.node = node;
        writer.scheduleWithFixedDelay(this::flushContained, 0, FLUSH_MS, TimeUnit.MILLISECONDS);
    }

    /** This broker's name among the brokers of the database. */
    public String node() {
        return node;
    }

    @Override
    public void record(final String clientId, final HealthStatus status) {
        pending.put(clientId, status);
    }

    @Override
    public void forget(final String clientId) {
        pending.put(clientId, FORGOTTEN);
    }

    private void flushContained() {
        try {
            flush();
            if (failing) {
                failing = false;
                log.info("config-manager: writing client presence to the shared database works again");
            }
        } catch (final SQLException | RuntimeException e) {
            if (!failing) {
                failing = true;
                log.warn(
                        "config-manager: client presence cannot be written to the shared database; kept and "
                                + "retried: {}",
                        SqlErrors.describe(e));
            }
            dropConnection();
        }
    }

    /** Writes what changed (and the heartbeat when due) in one transaction; what fails stays pending. */
    private synchronized void flush() throws SQLException {
        final Instant now = Instant.now();
        if (pending.isEmpty() && announced && now.isBefore(nextHeartbeat)) {
            return;
        }
        final Connection c = connection();
        if (!announced) {
            // a broker that starts has no client yet: what its rows say from an earlier run is over
            try (var s = c.prepareStatement(
                    "UPDATE cm_presence SET online = FALSE, event = 'broker_restart' WHERE node = ? AND online")) {
                s.setString(1, node);
                s.executeUpdate();
            }
        }
        final Map<String, HealthStatus> taken = new java.util.HashMap<>();
        for (final String id : List.copyOf(pending.keySet())) {
            final HealthStatus s = pending.remove(id);
            if (s != null) {
                taken.put(id, s);
            }
        }
        try {
            heartbeat(c);
            if (!taken.isEmpty()) {
                write(c, taken);
            }
            c.commit();
        } catch (final SQLException | RuntimeException e) {
            taken.forEach(pending::putIfAbsent); // a newer state recorded meanwhile wins
            throw e;
        }
        announced = true;
        nextHeartbeat = now.plus(HEARTBEAT);
    }

    private void heartbeat(final Connection c) throws SQLException {
        try (var update = c.prepareStatement("UPDATE cm_broker SET heartbeat_at = CURRENT_TIMESTAMP WHERE node = ?")) {
            update.setString(1, node);
            if (update.executeUpdate() == 1) {
                return;
            }
        }
        try (var insert = c.prepareStatement("INSERT INTO cm_broker (node, started_at, heartbeat_at) "
                + "VALUES (?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")) {
            insert.setString(1, node);
            insert.executeUpdate();
        }
    }

    private void write(final Connection c, final Map<String, HealthStatus> states) throws SQLException {
        try (var update = c.prepareStatement("UPDATE cm_presence SET online = ?, event = ?, err = ?, changed_at = ? "
                        + "WHERE presence_key = ?");
                var insert = c.prepareStatement("INSERT INTO cm_presence (presence_key, node, client_id, online, "
                        + "event, err, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            final List<Map.Entry<String, HealthStatus>> missing = new ArrayList<>();
            for (final Map.Entry<String, HealthStatus> e : states.entrySet()) {
                final HealthStatus s = e.getValue();
                if (s == FORGOTTEN) {
                    try (var delete = c.prepareStatement("DELETE FROM cm_presence WHERE presence_key = ?")) {
                        delete.setString(1, key(e.getKey()));
                        delete.executeUpdate();
                    }
                    continue;
                }
                update.setBoolean(1, s.ok());
                update.setString(2, ClientText.escape(s.event(), 32));
                update.setString(3, s.err() == null ? null : ClientText.escape(s.err(), MAX_ERR_CHARS));
                update.setTimestamp(4, timestamp(s.timestamp()));
                update.setString(5, key(e.getKey()));
                if (update.executeUpdate() == 0) {
                    missing.add(e);
                }
            }
            for (final Map.Entry<String, HealthStatus> e : missing) {
                final HealthStatus s = e.getValue();
                insert.setString(1, key(e.getKey()));
                insert.setString(2, node);
                insert.setString(3, e.getKey());
                insert.setBoolean(4, s.ok());
                insert.setString(5, ClientText.escape(s.event(), 32));
                insert.setString(6, s.err() == null ? null : ClientText.escape(s.err(), MAX_ERR_CHARS));
                insert.setTimestamp(7, timestamp(s.timestamp()));
                insert.addBatch();
            }
            if (!missing.isEmpty()) {
                insert.executeBatch();
            }
        }
    }

    /** The other brokers of the database whose heartbeat is fresh: those that are running. */
    public synchronized List<String> otherLiveBrokers() throws StoreUnavailableException {
        try {
            final Connection c = connection();
            final List<String> nodes = new ArrayList<>();
            try (var s = c.prepareStatement(
                    "SELECT node, heartbeat_at, CURRENT_TIMESTAMP FROM cm_broker " + "WHERE node <> ? ORDER BY node")) {
                s.setString(1, node);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        final Instant dbNow = rs.getTimestamp(3).toInstant();
                        if (!rs.getTimestamp(2).toInstant().plus(STALE_AFTER).isBefore(dbNow)) {
                            nodes.add(rs.getString(1));
                        }
                    }
                }
            }
            c.commit();
            return nodes;
        } catch (final SQLException e) {
            dropConnection();
            throw new StoreUnavailableException("cannot read the brokers: " + SqlErrors.describe(e), e);
        }
    }

    /** Every client of every broker, as each broker last saw it. */
    public synchronized List<ClientPresence> clients() throws StoreUnavailableException {
        try {
            final Connection c = connection();
            final List<ClientPresence> rows = new ArrayList<>();
            try (var s = c.prepareStatement("SELECT p.client_id, p.node, p.online, p.event, p.err, p.changed_at, "
                            + "b.heartbeat_at, CURRENT_TIMESTAMP FROM cm_presence p "
                            + "LEFT JOIN cm_broker b ON b.node = p.node");
                    ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    final Timestamp heartbeat = rs.getTimestamp(7);
                    final Instant dbNow = rs.getTimestamp(8).toInstant();
                    final boolean stale = heartbeat == null
                            || heartbeat.toInstant().plus(STALE_AFTER).isBefore(dbNow);
                    final Instant changed = rs.getTimestamp(6).toInstant();
                    rows.add(new ClientPresence(
                            rs.getString(1),
                            rs.getString(2),
                            rs.getBoolean(3),
                            rs.getString(4),
                            rs.getString(5),
                            BigDecimal.valueOf(changed.toEpochMilli()).movePointLeft(3),
                            stale));
                }
            }
            c.commit();
            return rows;
        } catch (final SQLException e) {
            dropConnection();
            throw new StoreUnavailableException("cannot read client presence: " + SqlErrors.describe(e), e);
        }
    }

    /** Writes what is left, marks this broker's clients offline (it stops), and closes the connection. */
    @Override
    public void close() {
        Threads.stop(writer, false, 5);
        synchronized (this) {
            try {
                flush();
                final Connection c = connection();
                try (var s = c.prepareStatement("UPDATE cm_presence SET online = FALSE, event = 'broker_stopped' "
                        + "WHERE node = ? AND online")) {
                    s.setString(1, node);
                    s.executeUpdate();
                }
                c.commit();
            } catch (final SQLException | RuntimeException e) {
                log.warn(
                        "config-manager: the last client presence could not be written at stop: {}",
                        SqlErrors.describe(e));
            }
            dropConnection();
        }
    }

    private synchronized Connection connection() throws SQLException {
        if (connection == null) {
            connection = connector.connect();
        }
        return connection;
    }

    private synchronized void dropConnection() {
        if (connection != null) {
            ReopeningConnection.closeQuietly(connection);
            connection = null;
        }
    }

    private static Timestamp timestamp(final BigDecimal epochSeconds) {
        return Timestamp.from(
                Instant.ofEpochMilli(epochSeconds.movePointRight(3).longValue()));
    }

    /** One row per client and broker; hashed, so a long client id does not make a long key. */
    private String key(final String clientId) {
        try {
            final MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(node.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            return HexFormat.of().formatHex(sha.digest(clientId.getBytes(StandardCharsets.UTF_8)));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
