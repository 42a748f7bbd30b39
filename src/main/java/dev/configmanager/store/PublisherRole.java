package dev.configmanager.store;

import dev.configmanager.concurrent.Threads;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The role of the one broker that publishes the changes other brokers commit ({@code <database><publisher>one}), for
 * a HiveMQ Enterprise cluster, whose retained store is cluster-wide: a session-level advisory lock on a connection of
 * its own. Every broker tries to take it every second; the server releases it when its holder's session ends (the
 * process died, the connection broke), and another broker takes over within about a second.
 */
public final class PublisherRole implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PublisherRole.class);
    /** "cm-pub" in ASCII: the advisory lock key of the role. */
    private static final long LOCK = 0x636d2d707562L;

    static final long CHECK_MILLIS = 1_000;

    private final SqlConfigStore.Connector connector;
    private final ScheduledExecutorService checks =
            Executors.newSingleThreadScheduledExecutor(Threads.factory("config-manager-publisher-role"));
    private @Nullable Connection connection;
    private volatile boolean held;
    private volatile Runnable taken = () -> {};

    PublisherRole(final SqlConfigStore.Connector connector) {
        this.connector = connector;
        checks.scheduleWithFixedDelay(this::check, 0, CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Runs {@code then} (on the role's thread) each time this broker takes the role: what was committed while nobody
     * published, or its holder died between a commit and its publish, is published then.
     */
    public void whenTaken(final Runnable then) {
        this.taken = then;
    }

    /** Whether this broker holds the role now. */
    public boolean held() {
        return held;
    }

    private synchronized void check() {
        try {
            if (connection == null) {
                connection = connector.connect();
            }
            try (var s = connection.prepareStatement(held ? "SELECT 1" : "SELECT pg_try_advisory_lock(" + LOCK + ")");
                    ResultSet rs = s.executeQuery()) {
                final boolean got = rs.next() && rs.getBoolean(1);
                connection.commit();
                final boolean takenNow = !held && got;
                held = got;
                if (takenNow) {
                    log.info("config-manager: this broker publishes the changes of the other brokers now");
                    taken.run();
                }
            }
        } catch (final SQLException | RuntimeException e) {
            if (held) {
                log.warn(
                        "config-manager: this broker lost the publisher role (its database session ended: {}); "
                                + "another broker takes it over",
                        SqlErrors.describe(e));
            }
            held = false;
            drop();
        }
    }

    private void drop() {
        if (connection != null) {
            ReopeningConnection.closeQuietly(connection);
            connection = null;
        }
    }

    /** Gives the role up (ending the session releases the lock), so another broker takes it at once. */
    @Override
    public void close() {
        checks.shutdownNow();
        synchronized (this) {
            held = false;
            drop();
        }
    }
}
