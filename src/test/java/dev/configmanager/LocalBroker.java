package dev.configmanager;

import ch.qos.logback.classic.LoggerContext;
import com.hivemq.embedded.EmbeddedHiveMQ;
import dev.configmanager.support.BrokerHome;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The README's run command ({@code mvn -Prun}): a real HiveMQ CE broker on this machine with config-manager loaded
 * from this checkout ({@code src/hivemq-extension/conf}), its data kept in a local folder across restarts.
 * <p>
 * Environment: {@code CM_MQTT_PORT} (1883), {@code CM_BIND} (127.0.0.1), {@code CM_HOME} (.broker),
 * {@code CM_PERSISTENCE} ({@code file}, HiveMQ's default, or {@code in-memory}).
 */
public final class LocalBroker {

    private LocalBroker() {}

    public static void main(final String[] args) throws Exception {
        final int port = Integer.parseInt(env("CM_MQTT_PORT", "1883"));
        final String bind = env("CM_BIND", "127.0.0.1");
        final Path home =
                Files.createDirectories(Path.of(env("CM_HOME", ".broker")).toAbsolutePath());
        final Path extensionHome = Path.of("src/hivemq-extension").toAbsolutePath();
        final boolean filePersistence;
        try {
            filePersistence = filePersistence();
        } catch (final IllegalArgumentException e) {
            System.err.println("config-manager: " + e.getMessage());
            System.exit(1);
            return;
        }

        if (!free(bind, port)) {
            // HiveMQ would print a stack trace and wait on its own lock; one line and out is what helps
            System.err.printf(
                    "config-manager: MQTT port %d on %s is in use (another broker, or a run command still running?); "
                            + "stop it or set CM_MQTT_PORT%n",
                    port, bind);
            System.exit(1);
        }
        stopWithParent();

        final BrokerHome broker = new BrokerHome(home, bind, port, filePersistence);
        writeLogConfiguration(broker.conf, home.resolve("log"));
        final EmbeddedHiveMQ hivemq = broker.embedded(new ConfigManagerMain(extensionHome));
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                hivemq.stop().get(30, TimeUnit.SECONDS);
                                hivemq.close();
                                System.out.println("config-manager: broker stopped");
                            } catch (final Exception e) {
                                System.err.println("broker did not stop cleanly: " + e);
                            } finally {
                                // the log's last lines (the extension's and the broker's stop) reach the terminal
                                if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
                                    logback.stop();
                                }
                                stopped.countDown();
                            }
                        },
                        "local-broker-shutdown"));
        hivemq.start().get(120, TimeUnit.SECONDS);
        System.out.printf(
                "%nconfig-manager is running: MQTT on %s:%d, data in %s (Ctrl-C stops)%n%n", bind, port, home);
        stopped.await();
    }

    /**
     * The broker's log: the terminal, and a file rolled daily under the broker home (seven days kept), which HiveMQ
     * reads from {@code conf/logback.xml}. Written once: an operator's own version is left alone.
     */
    private static void writeLogConfiguration(final Path conf, final Path logFolder) throws IOException {
        final Path file = conf.resolve("logback.xml");
        if (Files.exists(file)) {
            return;
        }
        final String folder =
                logFolder.toString().replace("&", "&amp;").replace("<", "&lt;").replace("\"", "&quot;");
        Files.writeString(file, """
                <configuration>
                    <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
                        <encoder><pattern>%%d{HH:mm:ss.SSS} %%-5level [%%thread] %%logger{20} - %%msg%%n</pattern></encoder>
                    </appender>
                    <appender name="FILE" class="ch.qos.logback.core.rolling.RollingFileAppender">
                        <file>%1$s/hivemq.log</file>
                        <rollingPolicy class="ch.qos.logback.core.rolling.TimeBasedRollingPolicy">
                            <fileNamePattern>%1$s/hivemq.%%d{yyyy-MM-dd}.log</fileNamePattern>
                            <maxHistory>7</maxHistory>
                        </rollingPolicy>
                        <encoder><pattern>%%d{yyyy-MM-dd HH:mm:ss.SSS} %%-5level [%%thread] %%logger - %%msg%%n</pattern></encoder>
                    </appender>
                    <logger name="com.hivemq" level="INFO"/>
                    <logger name="dev.configmanager" level="INFO"/>
                    <root level="WARN">
                        <appender-ref ref="CONSOLE"/>
                        <appender-ref ref="FILE"/>
                    </root>
                </configuration>
                """.formatted(folder));
    }

    /** Whether nothing listens on {@code port} of {@code bind} yet. */
    private static boolean free(final String bind, final int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(bind, port));
            return true;
        } catch (final IOException e) {
            return false;
        }
    }

    /**
     * Maven runs this broker as a child process: if Maven goes away (a {@code kill} of its process only, not a Ctrl-C
     * that reaches both), the broker stops too rather than hold its ports and database with nobody to stop it. The
     * benchmark's child brokers do the same.
     */
    public static void stopWithParent() {
        ProcessHandle.current()
                .parent()
                .ifPresent(parent -> parent.onExit().thenRun(() -> {
                    System.err.println("config-manager: the process that started this broker is gone; stopping");
                    System.exit(0);
                }));
    }

    /**
     * HiveMQ's persistence mode from {@code CM_PERSISTENCE}: {@code file} (HiveMQ's default: sessions, queued messages
     * and retained messages survive a restart) or {@code in-memory} (they do not; with a shared database the retained
     * config topics are published again from it at start).
     *
     * @throws IllegalArgumentException for any other value
     */
    public static boolean filePersistence() {
        return switch (env("CM_PERSISTENCE", "file").trim().toLowerCase(java.util.Locale.ROOT)) {
            case "file" -> true;
            case "in-memory" -> false;
            default -> throw new IllegalArgumentException("CM_PERSISTENCE must be file or in-memory");
        };
    }

    private static String env(final String name, final String fallback) {
        final String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
