package dev.configmanager.store;

import org.postgresql.Driver;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Properties;

/**
 * PostgreSQL: the {@link SqlConfigStore} on a server, with PostgreSQL's own durability (a commit returns once the
 * server has synced it; no journal of ours). The same tables and migrations as the embedded store.
 */
public final class PostgresConfigStore {

    private static final String PREFIX = "jdbc:postgresql://";

    private PostgresConfigStore() {}

    /**
     * Opens the store on the database at {@code url} ({@code jdbc:postgresql://host:port/database}) and migrates it.
     * The password is used to connect and never appears in a log or a message.
     */
    public static SqlConfigStore open(
            final String url, final String user, final String password, final int auditMaxRows)
            throws StoreUnavailableException {
        if (!url.startsWith(PREFIX)) {
            throw new StoreUnavailableException("a PostgreSQL URL starts with " + PREFIX, null);
        }
        final Properties properties = properties(user, password);
        return SqlConfigStore.open(
                withoutQuery(url),
                () -> connect(url, properties),
                SqlDialect.POSTGRESQL,
                auditMaxRows,
                tables -> new DatabaseCommits(tables, Clock.systemUTC()),
                1_000);
    }

    /**
     * This broker's presence on the database at {@code url}, on a connection of its own that it opens (and opens
     * again) itself: it needs the server, not an open store.
     */
    public static SharedPresence presence(
            final String url, final String user, final String password, final String node) {
        final Properties properties = properties(user, password);
        return new SharedPresence(() -> connect(url, properties), node);
    }

    /** The publisher role on the database at {@code url}, on a connection of its own. */
    public static PublisherRole publisherRole(final String url, final String user, final String password) {
        final Properties properties = properties(user, password);
        return new PublisherRole(() -> connect(url, properties));
    }

    private static Properties properties(final String user, final String password) {
        final Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("ApplicationName", "config-manager");
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("tcpKeepAlive", "true");
        // the server's error details quote row values (configs); the log and the answers never carry them
        properties.setProperty("logServerErrorDetail", "false");
        return properties;
    }

    /** How the log names the database: the URL without its query, where a password could have been put. */
    static String withoutQuery(final String url) {
        final int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query);
    }

    private static Connection connect(final String url, final Properties properties) throws SQLException {
        // An explicit driver: DriverManager's discovery depends on the thread context class loader.
        final Connection c = new Driver().connect(url, properties);
        if (c == null) {
            throw new SQLException("not a PostgreSQL URL: " + withoutQuery(url));
        }
        c.setAutoCommit(false);
        return c;
    }
}
