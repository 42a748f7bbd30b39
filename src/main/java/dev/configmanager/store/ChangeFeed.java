package dev.configmanager.store;

import dev.configmanager.concurrent.Threads;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Follows the change log of a shared PostgreSQL database, the way etcd and Kubernetes watchers do: a notification on
 * {@link SqlDialect#CHANGES_CHANNEL} only wakes it; what it delivers always comes from reading the log after the last
 * revision it applied, on every wake-up by another store's commit, every {@code pollMillis} in any case, and on every
 * reconnect. So a lost notification, a dropped connection or a server restart delays a change but never loses it, and
 * every change is delivered once, in revision order. With the changes of other brokers it reads the epoch, which another
 * broker's import changes.
 */
final class ChangeFeed implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);
    private static final long RECONNECT_BACKOFF_MS = 1_000;
    /** What a server says to a setting it does not have or a value it does not take. */
    private static final Set<String> UNKNOWN_SETTING = Set.of("42704", "22023", "0A000");

    private final SqlConfigStore.Connector connector;
    private final ConfigTables tables;
    private final Consumer<ConfigVersion> changed;
    private final Consumer<String> epochRead;
    private final long pollMillis;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Connection connection;
    private long applied;

    ChangeFeed(
            final SqlConfigStore.Connector connector,
            final ConfigTables tables,
            final long after,
            final Consumer<ConfigVersion> changed,
            final Consumer<String> epochRead,
            final long pollMillis) {
        this.connector = connector;
        this.tables = tables;
        this.applied = after;
        this.changed = changed;
        this.epochRead = epochRead;
        this.pollMillis = pollMillis;
        this.thread = Threads.start("config-manager-changes", this::follow);
    }

    private void follow() {
        boolean lost = false;
        boolean due = true;
        long lastRead = System.nanoTime();
        while (running) {
            try {
                if (connection == null) {
                    connection = listen();
                    if (lost) {
                        log.info(
                                "config-manager: following the shared database's changes again from revision {}",
                                applied);
                        lost = false;
                    }
                }
                if (due || System.nanoTime() - lastRead >= TimeUnit.MILLISECONDS.toNanos(pollMillis)) {
                    catchUp(connection);
                    lastRead = System.nanoTime();
                }
                due = othersWrote(connection.unwrap(PGConnection.class).getNotifications((int) pollMillis));
            } catch (final SQLException | RuntimeException e) {
                if (!running) {
                    return;
                }
                if (!lost) {
                    log.warn(
                            "config-manager: lost the shared database's change feed ({}); catching up once it is "
                                    + "back",
                            SqlErrors.describe(e));
                    lost = true;
                }
                drop();
                due = true;
                pause();
            }
        }
    }

    /**
     * Whether to read the log now: after a wait without wake-ups (the periodic catch-up), or a wake-up from another
     * writer. Wake-ups from this store's own commits alone are skipped: their entries hold nothing for this broker
     * (it published them itself), and reading them at each own commit would take the database's and this broker's
     * CPU exactly while the others read the same commit. They are passed over at the next read.
     */
    private boolean othersWrote(final PGNotification @Nullable [] wakeUps) {
        if (wakeUps == null || wakeUps.length == 0) {
            return true;
        }
        final String own = " " + tables.writer();
        for (final PGNotification n : wakeUps) {
            if (!n.getParameter().endsWith(own)) {
                return true;
            }
        }
        return false;
    }

    private Connection listen() throws SQLException {
        final Connection c = connector.connect();
        try {
            c.setAutoCommit(true);
            try (var s = c.createStatement()) {
                s.execute("SET application_name = 'config-manager-feed'");
                preferGenericPlan(c, s);
                s.execute("LISTEN " + SqlDialect.CHANGES_CHANNEL);
            }
            return c;
        } catch (final SQLException e) {
            ReopeningConnection.closeQuietly(c);
            throw e;
        }
    }

    /**
     * This connection runs one query, the log page, hundreds of times a second under load. Left to choose, the server
     * may plan it afresh at every read, since with its parameters a custom plan looks cheaper than the generic one:
     * under figure 6 it did, and planning took 0.26 ms a read against 0.22 ms for running it. Here the page query is
     * prepared on the server from its first read and the generic plan kept, which reads both tables by their keys
     * whatever the revision. JIT goes off first, and the generic plan is asked for only if that worked: with JIT on,
     * a generic plan's cost estimate can make every read compile code first (6 ms a read, measured with a million
     * entries, before the page size was written into the query). A server without these settings (before PostgreSQL
     * 12, or one that only speaks its protocol) plans as it chooses; anything else that fails here is the
     * connection's failure and is thrown. Runs in auto-commit mode, so a refused setting leaves the connection usable.
     */
    private static void preferGenericPlan(final Connection c, final Statement s) throws SQLException {
        c.unwrap(PGConnection.class).setPrepareThreshold(1);
        try {
            s.execute("SET jit = off");
            s.execute("SET plan_cache_mode = force_generic_plan");
        } catch (final SQLException e) {
            if (!UNKNOWN_SETTING.contains(e.getSQLState())) {
                throw e;
            }
            log.info("config-manager: the change feed's reads are planned as the server chooses: {}", e.getMessage());
        }
    }

    /**
     * Delivers the changes after the last one applied, in revision order; of several versions of one service read
     * together, only the newest (a follower behind by a burst publishes each service's current config once, not every
     * step on the way: the retained topic holds only the newest anyway).
     */
    private void catchUp(final Connection c) throws SQLException {
        List<ChangeLog.Change> page;
        do {
            final ChangeLog.Page read = ChangeLog.after(c, applied, tables.writer());
            page = read.changes();
            final Map<String, ConfigVersion> newest = new LinkedHashMap<>();
            for (final ChangeLog.Change change : page) {
                final ConfigVersion v = change.version();
                if (v != null) {
                    newest.remove(v.service()); // kept in the order of each service's newest change
                    newest.put(v.service(), v);
                }
            }
            final @Nullable String epoch = read.epoch();
            if (!newest.isEmpty() && epoch != null) {
                // another broker's import changes the epoch with its versions: they go out with the new one
                epochRead.accept(epoch);
            }
            newest.values().forEach(this::deliver);
            if (!page.isEmpty()) {
                applied = page.get(page.size() - 1).revision();
            }
        } while (page.size() == ChangeLog.PAGE && running);
    }

    private void deliver(final ConfigVersion version) {
        try {
            changed.accept(version);
        } catch (final RuntimeException e) {
            log.error(
                    "config-manager: applying {} v{} from the change feed failed",
                    version.service(),
                    version.version(),
                    e);
        }
    }

    private void pause() {
        try {
            Thread.sleep(RECONNECT_BACKOFF_MS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private void drop() {
        final Connection c = connection;
        connection = null;
        if (c != null) {
            ReopeningConnection.closeQuietly(c);
        }
    }

    @Override
    public void close() {
        running = false;
        drop(); // breaks a wait for notifications
        try {
            thread.join(5_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
