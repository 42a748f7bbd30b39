package dev.configmanager.store;

import dev.configmanager.concurrent.Threads;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Follows the change log of a shared PostgreSQL database, the way etcd and Kubernetes watchers do: a notification on
 * {@link SqlDialect#CHANGES_CHANNEL} only wakes it; what it delivers always comes from reading the log after the last
 * revision it applied, on every wake-up, every {@code pollMillis} without one, and on every reconnect. So a lost
 * notification, a dropped connection or a server restart delays a change but never loses it, and every change is
 * delivered once, in revision order.
 */
final class ChangeFeed implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);
    private static final int PAGE = 500;
    private static final long RECONNECT_BACKOFF_MS = 1_000;

    private final SqlConfigStore.Connector connector;
    private final ConfigTables tables;
    private final Consumer<ConfigVersion> changed;
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
            final long pollMillis) {
        this.connector = connector;
        this.tables = tables;
        this.applied = after;
        this.changed = changed;
        this.pollMillis = pollMillis;
        this.thread = Threads.start("config-manager-changes", this::follow);
    }

    private void follow() {
        boolean lost = false;
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
                catchUp(connection);
                connection.unwrap(PGConnection.class).getNotifications((int) pollMillis);
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
                pause();
            }
        }
    }

    private Connection listen() throws SQLException {
        final Connection c = connector.connect();
        try {
            c.setAutoCommit(true);
            try (var s = c.createStatement()) {
                s.execute("SET application_name = 'config-manager-feed'");
                s.execute("LISTEN " + SqlDialect.CHANGES_CHANNEL);
            }
            return c;
        } catch (final SQLException e) {
            ReopeningConnection.closeQuietly(c);
            throw e;
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
            page = ChangeLog.after(c, applied, PAGE, tables.writer());
            final Map<String, ConfigVersion> newest = new LinkedHashMap<>();
            for (final ChangeLog.Change change : page) {
                final ConfigVersion v = change.version();
                if (v != null) {
                    newest.remove(v.service()); // kept in the order of each service's newest change
                    newest.put(v.service(), v);
                }
            }
            newest.values().forEach(this::deliver);
            if (!page.isEmpty()) {
                applied = page.get(page.size() - 1).revision();
            }
        } while (page.size() == PAGE && running);
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
