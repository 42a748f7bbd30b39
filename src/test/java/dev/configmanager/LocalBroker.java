package dev.configmanager;

import com.hivemq.embedded.EmbeddedHiveMQ;
import dev.configmanager.support.BrokerHome;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The README's run command ({@code mvn -Prun}): a real HiveMQ CE broker on this machine with config-manager loaded
 * from this checkout ({@code src/hivemq-extension/conf}), its data kept in a local folder across restarts.
 * <p>
 * Environment: {@code CM_MQTT_PORT} (1883), {@code CM_BIND} (127.0.0.1), {@code CM_HOME} (.broker).
 */
public final class LocalBroker {

    private LocalBroker() {}

    public static void main(final String[] args) throws Exception {
        final int port = Integer.parseInt(env("CM_MQTT_PORT", "1883"));
        final String bind = env("CM_BIND", "127.0.0.1");
        final Path home =
                Files.createDirectories(Path.of(env("CM_HOME", ".broker")).toAbsolutePath());
        final Path extensionHome = Path.of("src/hivemq-extension").toAbsolutePath();

        final BrokerHome broker = new BrokerHome(home, bind, port, true);
        final EmbeddedHiveMQ hivemq = broker.embedded(new ConfigManagerMain(extensionHome));
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                hivemq.stop().get(30, TimeUnit.SECONDS);
                                hivemq.close();
                            } catch (final Exception e) {
                                System.err.println("broker did not stop cleanly: " + e);
                            } finally {
                                stopped.countDown();
                            }
                        },
                        "local-broker-shutdown"));
        hivemq.start().get(120, TimeUnit.SECONDS);
        System.out.printf(
                "%nconfig-manager is running: MQTT on %s:%d, data in %s (Ctrl-C stops)%n%n", bind, port, home);
        stopped.await();
    }

    private static String env(final String name, final String fallback) {
        final String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
