package dev.configmanager.store;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The console's reads (all configs, history, audit) on a connection and a lock of their own: however long one takes,
 * it never holds the lock that commits take, so browsing a large audit log never delays a write. H2 shows it only
 * committed rows. A failure closes this connection only; the writer's stays.
 */
final class ReadConnection {

    interface Opener {
        Connection open() throws SQLException;
    }

    interface Reading<T> {
        T read(Connection c) throws SQLException;
    }

    private final Opener opener;
    private Connection connection; // guarded by this

    ReadConnection(final Opener opener) {
        this.opener = opener;
    }

    synchronized <T> T read(final String what, final Reading<T> reading) throws StoreUnavailableException {
        try {
            if (connection == null) {
                connection = opener.open();
            }
            final T result = reading.read(connection);
            connection.commit();
            return result;
        } catch (final SQLException e) {
            close();
            throw new StoreUnavailableException("the config database failed to " + what + ": " + e.getMessage(), e);
        }
    }

    synchronized void close() {
        if (connection != null) {
            ReopeningConnection.closeQuietly(connection);
            connection = null;
        }
    }
}
