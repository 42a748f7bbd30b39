package dev.configmanager.support;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The run command's broker ({@code LocalBroker}) in a child JVM, so a test can kill it the hard way (SIGKILL) or hold
 * its database from another process.
 */
public final class ChildBroker implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path log;

    private ChildBroker(final Process process, final int port, final Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts a broker with its home (data, retained messages, config database) in {@code home}. */
    public static ChildBroker start(final Path home, final int port) throws Exception {
        return start(home, port, java.util.Map.of());
    }

    /** With more of the run command's environment, e.g. {@code CM_DATABASE_URL}. */
    public static ChildBroker start(final Path home, final int port, final java.util.Map<String, String> environment)
            throws Exception {
        return start(home, port, environment, "dev.configmanager.LocalBroker", "config-manager is running");
    }

    /**
     * Another broker main on the test classpath, given the run command's home and port variables; it has started when
     * its output holds {@code readyLine} and its port takes connections.
     */
    public static ChildBroker start(
            final Path home,
            final int port,
            final java.util.Map<String, String> environment,
            final String mainClass,
            final String readyLine)
            throws Exception {
        Files.createDirectories(home);
        final Path log = Files.createTempFile(home, "child-broker-", ".log");
        final ProcessBuilder pb = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                mainClass));
        pb.environment().put("CM_HOME", home.toString());
        pb.environment().put("CM_MQTT_PORT", Integer.toString(port));
        pb.environment().put("CM_CONSOLE_PORT", Integer.toString(TestBroker.freePort())); // never 8081 in tests
        pb.environment().put("CM_PERSISTENCE", "file"); // not whatever the developer exported for the run command
        pb.environment().putAll(environment);
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        final ChildBroker child = new ChildBroker(pb.start(), port, log);
        child.awaitListening(readyLine);
        return child;
    }

    public int port() {
        return port;
    }

    /** The child JVM's process id (a benchmark reads how busy its compiler threads are). */
    public long pid() {
        return process.pid();
    }

    /** What the child has printed so far (its broker's and the extension's log lines). */
    public String output() throws IOException {
        return Files.readString(log);
    }

    /** SIGKILL: no shutdown hook, no extension stop, no flush. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM: the broker stops as an operator's Ctrl-C would stop it. */
    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private void awaitListening(final String readyLine) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("child broker exited: " + Files.readString(log));
            }
            if (Files.readString(log).contains(readyLine)) {
                try (Socket ignored = new Socket("127.0.0.1", port)) {
                    return;
                } catch (final IOException e) {
                    // not yet
                }
            }
            Thread.sleep(100);
        }
        process.destroyForcibly();
        throw new IllegalStateException("child broker did not start: " + Files.readString(log));
    }
}
