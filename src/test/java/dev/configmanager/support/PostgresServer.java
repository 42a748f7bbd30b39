package dev.configmanager.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server of its own for a test: Debian's binaries, a cluster made with {@code initdb} in a temporary
 * folder, started with {@code pg_ctl} on a free port of 127.0.0.1 (run as the {@code postgres} user when the test
 * runs as root, which PostgreSQL refuses), password authentication, and removed at the end. Where the binaries are
 * missing, {@link #available()} says so and the tests that need one are skipped with the install command.
 */
public final class PostgresServer implements AutoCloseable {

    public static final String INSTALL = "apt-get install -y postgresql";
    public static final String USER = "cm";
    public static final String DATABASE = "cm";

    private final Path bin;
    private final Path root;
    private final Path data;
    private final int port;
    private final String password;
    private final boolean asPostgresUser;

    private PostgresServer(final Path bin, final Path root, final int port, final boolean asPostgresUser) {
        this.bin = bin;
        this.root = root;
        this.data = root.resolve("data");
        this.port = port;
        this.password = "pw-" + Long.toHexString(System.nanoTime());
        this.asPostgresUser = asPostgresUser;
    }

    /** The folder holding {@code initdb} and {@code pg_ctl}, if this machine has them. */
    public static Optional<Path> binaries() {
        final List<Path> candidates = new ArrayList<>();
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            versions.sorted(Comparator.reverseOrder()).forEach(v -> candidates.add(v.resolve("bin")));
        } catch (final IOException ignored) {
            // no Debian layout: look on the PATH
        }
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir));
            }
        }
        return candidates.stream()
                .filter(d -> Files.isExecutable(d.resolve("initdb")) && Files.isExecutable(d.resolve("pg_ctl")))
                .map(d -> d.resolve("initdb").toAbsolutePath())
                .map(initdb -> {
                    try {
                        return initdb.toRealPath().getParent(); // Debian links them from /usr/local/bin
                    } catch (final IOException e) {
                        return initdb.getParent();
                    }
                })
                .findFirst();
    }

    public static boolean available() {
        return binaries().isPresent();
    }

    /** Makes and starts a new cluster with database {@value #DATABASE} owned by {@value #USER}. */
    public static PostgresServer start() throws Exception {
        final Path bin = binaries().orElseThrow(() -> new IllegalStateException("no PostgreSQL binaries; " + INSTALL));
        final boolean root = "root".equals(System.getProperty("user.name"));
        final Path dir = Files.createTempDirectory("config-manager-pg");
        final PostgresServer server = new PostgresServer(bin, dir, TestBroker.freePort(), root);
        try {
            server.init();
            server.startServer();
            try (Connection c = server.connect("postgres")) {
                c.createStatement().execute("CREATE DATABASE " + DATABASE);
            }
            return server;
        } catch (final Exception e) {
            server.close();
            throw e;
        }
    }

    private void init() throws Exception {
        final Path passwordFile = root.resolve("password");
        Files.writeString(passwordFile, password, StandardCharsets.UTF_8);
        if (asPostgresUser) {
            final UserPrincipal postgres =
                    root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(root, postgres);
            Files.setOwner(passwordFile, postgres);
        }
        run(
                bin.resolve("initdb").toString(),
                "-D",
                data.toString(),
                "-U",
                USER,
                "--pwfile=" + passwordFile,
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C");
    }

    /** Starts the server on its data folder (again, after {@link #stop}). */
    public void startServer() throws Exception {
        run(
                bin.resolve("pg_ctl").toString(),
                "-D",
                data.toString(),
                "-l",
                root.resolve("server.log").toString(),
                "-w",
                "-t",
                "60",
                "-o",
                "-p " + port + " -c listen_addresses=127.0.0.1 -k " + root + " -c fsync=on -c synchronous_commit=on",
                "start");
    }

    /** Stops the server fast (connections are cut, as when it goes away); the data stays for {@link #startServer}. */
    public void stop() throws Exception {
        run(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-t", "60", "-m", "fast", "stop");
    }

    public String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    /** The run command's environment for a broker storing in the database at {@code url} on this server. */
    public Map<String, String> runCommandEnvironment(final String url) {
        return Map.of("CM_DATABASE_URL", url, "CM_DATABASE_USER", USER, "CM_DATABASE_PASSWORD", password);
    }

    public String password() {
        return password;
    }

    public int port() {
        return port;
    }

    /** The postmaster's process id (the first line of its {@code postmaster.pid}): a benchmark reads its CPU. */
    public long pid() throws IOException {
        return Long.parseLong(
                Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
    }

    /** A new, empty database on this server; its URL. */
    public String createDatabase(final String name) throws SQLException {
        try (Connection c = connect("postgres")) {
            c.createStatement().execute("CREATE DATABASE " + name);
        }
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + name;
    }

    /**
     * Drops a database made by {@link #createDatabase} (nobody connected to it any more), then checkpoints, so what it
     * wrote is flushed and vacuumed with it rather than during what is measured next.
     */
    public void dropDatabase(final String name) throws SQLException {
        try (Connection c = connect("postgres")) {
            c.createStatement().execute("DROP DATABASE " + name);
            c.createStatement().execute("CHECKPOINT");
        }
    }

    /** A connection as {@value #USER}, for tests that look at the database itself. */
    public Connection connect() throws SQLException {
        return connect(DATABASE);
    }

    private Connection connect(final String database) throws SQLException {
        final Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", password);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, p);
    }

    private void run(final String... command) throws Exception {
        final List<String> line = new ArrayList<>();
        if (asPostgresUser) {
            line.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        line.addAll(List.of(command));
        final Process p = new ProcessBuilder(line)
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(root.resolve("commands.log").toFile())
                .start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed: "
                    + Files.readString(root.resolve("commands.log"), StandardCharsets.UTF_8));
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                run(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-m", "immediate", "stop");
            }
        } finally {
            try (Stream<Path> walk = Files.walk(root)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
