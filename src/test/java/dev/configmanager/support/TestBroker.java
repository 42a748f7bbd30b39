package dev.configmanager.support;

import com.hivemq.embedded.EmbeddedHiveMQ;
import dev.configmanager.ConfigManagerMain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An embedded HiveMQ CE broker with config-manager, on a free loopback port, with its own extension home
 * (conf/config.xml, the shipped schemas) and an H2 file that outlives the broker, so a test can restart on the same
 * database with a fresh broker home.
 */
public final class TestBroker implements AutoCloseable {

    /** Ports {@link #freePort} chooses from: from here up to the kernel's ephemeral range. */
    private static final int LOWEST_PORT = 10_000;

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private static final Path SHIPPED_SCHEMAS = Path.of("src/hivemq-extension/conf/schemas");
    private static final Path SHIPPED_PROFILES = Path.of("src/hivemq-extension/conf/profiles");

    public final Path root;
    public final Path extensionHome;
    public final Path database;
    private BrokerHome home;
    private EmbeddedHiveMQ hivemq;
    private ConfigManagerMain main;
    private int port;
    private int generation;

    private final boolean filePersistence;
    private final TestDatabase.Chosen chosen;

    private TestBroker(
            final Path root,
            final String extraSettings,
            final boolean filePersistence,
            final Path database,
            final boolean h2Only)
            throws Exception {
        this.filePersistence = filePersistence;
        this.root = root;
        this.extensionHome = Files.createDirectories(root.resolve("extension"));
        this.database = database;
        final Path schemas = Files.createDirectories(extensionHome.resolve("conf/schemas"));
        try (Stream<Path> files = Files.list(SHIPPED_SCHEMAS)) {
            for (final Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, schemas.resolve(f.getFileName()));
            }
        }
        final Path profiles = Files.createDirectories(extensionHome.resolve("conf/profiles"));
        try (Stream<Path> files = Files.list(SHIPPED_PROFILES)) {
            for (final Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, profiles.resolve(f.getFileName()));
            }
        }
        // The console listens on an ephemeral port unless a test configures it.
        final String console = extraSettings.contains("<console>") ? "" : "<console><port>0</port></console>";
        // A test that names its own database (a shared PostgreSQL one) leaves out the H2 file's; the others store
        // where this test run stores (TestDatabase).
        this.chosen = h2Only || extraSettings.contains("<database>")
                ? TestDatabase.Chosen.h2(database)
                : TestDatabase.choose(database);
        final String h2 = extraSettings.contains("<database>") ? "" : chosen.settings();
        Files.writeString(extensionHome.resolve("conf/config.xml"), """
                <config-manager>
                    %s
                    %s
                    %s
                </config-manager>
                """.formatted(h2, extraSettings, console));
    }

    public static TestBroker start(final Path root) throws Exception {
        return start(root, "");
    }

    /** @param extraSettings XML elements added inside {@code <config-manager>} */
    public static TestBroker start(final Path root, final String extraSettings) throws Exception {
        final TestBroker broker = new TestBroker(root, extraSettings, false, root.resolve("db/config-manager"), false);
        broker.startFresh();
        return broker;
    }

    /** A broker on an H2 file whatever the test run's database: for the tests about the H2 file itself. */
    public static TestBroker startOnH2(final Path root, final String extraSettings) throws Exception {
        final TestBroker broker = new TestBroker(root, extraSettings, false, root.resolve("db/config-manager"), true);
        broker.startFresh();
        return broker;
    }

    /** A broker whose own data (retained messages) is kept on disk, for {@link #restartOnSameHome()}. */
    public static TestBroker startPersistent(final Path root, final String extraSettings) throws Exception {
        final TestBroker broker = new TestBroker(root, extraSettings, true, root.resolve("db/config-manager"), false);
        broker.startFresh();
        return broker;
    }

    /** A broker whose extension uses the H2 database at {@code database} (without {@code .mv.db}). */
    public static TestBroker startOnDatabase(final Path root, final Path database) throws Exception {
        final TestBroker broker = new TestBroker(root, "", false, database, true);
        broker.startFresh();
        return broker;
    }

    /** Stops and starts again on the same broker home: its retained messages survive. */
    public void restartOnSameHome() throws Exception {
        stop();
        main = new ConfigManagerMain(extensionHome);
        hivemq = home.embedded(main);
        hivemq.start().get(120, TimeUnit.SECONDS);
    }

    /** Starts a broker with a new, empty home (no retained messages) on the same extension config and database. */
    public void startFresh() throws Exception {
        port = freePort();
        home = new BrokerHome(
                Files.createDirectories(root.resolve("broker-" + (++generation))), "127.0.0.1", port, filePersistence);
        main = new ConfigManagerMain(extensionHome);
        hivemq = home.embedded(main);
        hivemq.start().get(120, TimeUnit.SECONDS);
    }

    /** The extension instance the running broker started. */
    public ConfigManagerMain main() {
        return main;
    }

    public void stop() throws Exception {
        if (hivemq != null) {
            hivemq.stop().get(60, TimeUnit.SECONDS);
            hivemq.close();
            hivemq = null;
        }
    }

    public int port() {
        return port;
    }

    /** The running broker's data folder (its home's {@code data/}). */
    public Path dataFolder() {
        return home.data;
    }

    /**
     * A second connection to the extension's database: the H2 file (same JVM, so the same open database) or the
     * PostgreSQL database of this broker ({@link TestDatabase}).
     */
    public Connection openDatabase() throws SQLException {
        return chosen.connect();
    }

    /** Where a failing embedded extension would leave its DISABLED marker. */
    public static Path disabledMarker() {
        return Path.of(System.getProperty("java.io.tmpdir"), "DISABLED");
    }

    @Override
    public void close() throws Exception {
        stop();
    }

    /**
     * A port nothing listens on, below the kernel's ephemeral range. A port the kernel chose for a listener on port 0
     * can be chosen again for the next one while the first is closed: a broker's MQTT port taken that way went, before
     * the broker bound it, to the console the extension started on port 0 (CI failed once on it). Ports from below
     * the range are never what the kernel hands a port-0 listener, and none is handed out twice by this JVM.
     */
    public static int freePort() {
        final int below = ephemeralLow();
        for (int attempt = 0; attempt < 200 && below > LOWEST_PORT + 1_000; attempt++) {
            final int port = ThreadLocalRandom.current().nextInt(LOWEST_PORT, below);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port)) {
                return s.getLocalPort();
            } catch (final IOException taken) {
                // in use: another
            }
        }
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first port of the kernel's ephemeral range (Linux; 32768, its default, elsewhere). */
    private static int ephemeralLow() {
        try {
            return Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .trim()
                    .split("\\s+")[0]);
        } catch (final IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
