package dev.configmanager;

import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The run command's broker ({@code LocalBroker}, which {@code mvn -Prun} starts as its child) never outlives the
 * command that started it, and a start on a port that is taken says so in one line at once instead of hanging.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RunCommandTest {

    @TempDir
    Path dir;

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    @Test
    void aKilledRunCommandLeavesNoBrokerBehind() throws Exception {
        final int port = TestBroker.freePort();
        final Path log = dir.resolve("broker.log");
        // the shell stands for Maven: the broker is its child, and the shell is killed the hard way
        final ProcessBuilder pb = new ProcessBuilder(
                "bash",
                "-c",
                "\"$JAVA\" -Xmx512m -cp \"$CP\" dev.configmanager.LocalBroker > \"$LOG\" 2>&1 & echo $!; wait");
        pb.environment().put("JAVA", java());
        pb.environment().put("CP", System.getProperty("java.class.path"));
        pb.environment().put("LOG", log.toString());
        pb.environment().put("CM_HOME", dir.resolve("home").toString());
        pb.environment().put("CM_MQTT_PORT", Integer.toString(port));
        pb.environment().put("CM_CONSOLE_PORT", Integer.toString(TestBroker.freePort()));
        final Process runCommand = pb.start();
        final long brokerPid;
        try (var out = new BufferedReader(new InputStreamReader(runCommand.getInputStream(), StandardCharsets.UTF_8))) {
            brokerPid = Long.parseLong(out.readLine().strip());
        }
        final ProcessHandle broker = ProcessHandle.of(brokerPid).orElseThrow();
        awaitListening(port, log);
        assertFalse(
                Files.readString(log).contains(" WARN "), "a clean start warns of nothing: " + Files.readString(log));
        final Path file = dir.resolve("home/log/hivemq.log");
        assertTrue(
                Files.exists(file) && Files.readString(file).contains("config-manager"), "the log file under the home");

        runCommand.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (broker.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        final boolean leftBehind = broker.isAlive();
        if (leftBehind) {
            broker.destroyForcibly();
        }
        assertFalse(leftBehind, "the broker outlived its run command: " + Files.readString(log));
        assertTrue(Files.readString(log).contains("stopping"), Files.readString(log));
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertEquals(port, again.getLocalPort(), "the MQTT port is free again");
        }
    }

    @Test
    void aStartOnATakenPortFailsAtOnceWithOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            final ProcessBuilder pb = new ProcessBuilder(List.of(
                    java(), "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.configmanager.LocalBroker"));
            pb.environment().put("CM_HOME", dir.resolve("home").toString());
            pb.environment().put("CM_MQTT_PORT", Integer.toString(taken.getLocalPort()));
            pb.redirectErrorStream(true);
            final Process p = pb.start();
            final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "exits at once");
            assertEquals(1, p.exitValue(), output);
            final List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
            assertEquals(1, lines.size(), output);
            assertTrue(
                    lines.get(0).contains("port " + taken.getLocalPort())
                            && lines.get(0).contains("in use"),
                    output);
        }
    }

    private static void awaitListening(final int port, final Path log) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains("config-manager is running")) {
                try (Socket ignored = new Socket("127.0.0.1", port)) {
                    return;
                } catch (final java.io.IOException e) {
                    // not yet
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the broker did not start: " + (Files.exists(log) ? Files.readString(log) : ""));
    }
}
