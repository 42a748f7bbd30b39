package dev.configmanager.support;

import dev.configmanager.store.H2ConfigStore;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which database the test brokers' extension stores in: H2 files (the default), or, with {@code
 * -Dcm.test.database=postgresql} (the second surefire run of the store-behaviour tests), a new database per broker on
 * one real PostgreSQL server for the JVM. So the same tests prove the same behaviour on both stores.
 */
public final class TestDatabase {

    public static final String PROPERTY = "cm.test.database";

    private static final AtomicInteger databases = new AtomicInteger();
    private static PostgresServer server;

    private TestDatabase() {}

    /** Whether the brokers of this test run store in PostgreSQL. */
    public static boolean postgresql() {
        return "postgresql".equalsIgnoreCase(System.getProperty(PROPERTY, "h2"));
    }

    /**
     * A broker's database: its {@code <database>} settings, and how a test opens a second connection to it.
     *
     * @param user {@code null} for H2
     */
    record Chosen(String settings, String jdbcUrl, String user, String password) {

        static Chosen h2(final Path file) {
            return new Chosen(
                    "<database><path>" + file.toAbsolutePath() + "</path></database>",
                    H2ConfigStore.url(file),
                    null,
                    null);
        }

        Connection connect() throws SQLException {
            return user == null
                    ? DriverManager.getConnection(jdbcUrl)
                    : DriverManager.getConnection(jdbcUrl, user, password);
        }
    }

    /** The database of a new broker: its H2 file at {@code h2File}, or a new PostgreSQL database. */
    static Chosen choose(final Path h2File) throws Exception {
        if (!postgresql()) {
            return Chosen.h2(h2File);
        }
        final PostgresServer s = server();
        final String url = s.createDatabase("broker_" + databases.incrementAndGet());
        return new Chosen(
                "<database><url>%s</url><username>%s</username><password>%s</password></database>"
                        .formatted(url, PostgresServer.USER, s.password()),
                url,
                PostgresServer.USER,
                s.password());
    }

    /** Skips a test about the H2 file itself (its bytes, its journal, its SQL) on a run that stores in PostgreSQL. */
    public static void assumeH2(final String why) {
        Assumptions.assumeFalse(postgresql(), why);
    }

    /** The JVM's server, started on first use and removed when the JVM ends; skips the test where it is missing. */
    private static synchronized PostgresServer server() throws Exception {
        Assumptions.assumeTrue(PostgresServer.available(), "no PostgreSQL server binaries: " + PostgresServer.INSTALL);
        if (server == null) {
            final PostgresServer started = PostgresServer.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (final Exception e) {
                    System.err.println("removing the test PostgreSQL server failed: " + e);
                }
            }));
            server = started;
        }
        return server;
    }
}
