package dev.configmanager.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The store's connection for writes: dropped when a call on it fails, and opened again by a later call once
 * {@link #REOPEN_BACKOFF_MS} have passed, so a database that comes back is used again without a broker restart.
 * Not thread-safe: the store uses it under its own lock.
 */
final class ReopeningConnection {

    private static final Logger log = LoggerFactory.getLogger(ReopeningConnection.class);
    private static final long REOPEN_BACKOFF_MS = 1_000;

    /** Opens a connection ready for use (restored, migrated), or fails and leaves nothing open. */
    interface Opener {
        Connection open() throws SQLException, IOException;
    }

    private final Opener opener;
    private final String name;
    private Connection connection;
    private long lastFailureMillis;

    ReopeningConnection(final Connection opened, final Opener opener, final String name) {
        this.connection = opened;
        this.opener = opener;
        this.name = name;
    }

    /** The connection, opened again if it was dropped and the backoff has passed. */
    Connection get() throws StoreUnavailableException {
        if (connection != null) {
            return connection;
        }
        final long now = System.currentTimeMillis();
        if (now - lastFailureMillis < REOPEN_BACKOFF_MS) {
            throw new StoreUnavailableException("the config database is unavailable; retrying shortly", null);
        }
        try {
            connection = opener.open();
            log.info("config-manager: config database {} is available again", name);
            return connection;
        } catch (final SQLException | IOException e) {
            lastFailureMillis = now;
            throw new StoreUnavailableException("the config database cannot be opened: " + SqlErrors.describe(e), e);
        }
    }

    /** The connection if it is open now; never opens one. */
    Optional<Connection> ifOpen() {
        return Optional.ofNullable(connection);
    }

    /**
     * After a failed call: rolls back and closes the connection (the next {@link #get} opens a new one) and returns
     * the exception the store reports.
     */
    StoreUnavailableException dropAfter(final String what, final Exception e) {
        log.error("config-manager: config database failed during {}: {}", what, SqlErrors.describe(e));
        final Connection broken = connection;
        connection = null;
        lastFailureMillis = System.currentTimeMillis();
        if (broken != null) {
            try {
                broken.rollback();
            } catch (final SQLException ignored) {
                // the connection is already gone; the transaction died with it
            }
            closeQuietly(broken);
        }
        return new StoreUnavailableException("the config database failed: " + SqlErrors.describe(e), e);
    }

    void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (final SQLException e) {
                log.warn("config-manager: closing the config database failed: {}", e.getMessage());
            }
            connection = null;
        }
    }

    static void closeQuietly(final Connection c) {
        try {
            c.close();
        } catch (final SQLException ignored) {
            // nothing more to release
        }
    }
}
