package dev.configmanager.bench;

import com.hivemq.embedded.EmbeddedHiveMQ;
import dev.configmanager.ConfigManagerMain;
import dev.configmanager.support.BrokerHome;
import dev.configmanager.support.TestBroker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** One embedded broker for one side of a comparison: with config-manager as shipped, or bare. */
final class BenchBroker implements AutoCloseable {

    private static int count;

    final int port;
    final Path home;
    private final EmbeddedHiveMQ hivemq;
    final long startMillis;

    private BenchBroker(final int port, final Path home, final EmbeddedHiveMQ hivemq, final long startMillis) {
        this.port = port;
        this.home = home;
        this.hivemq = hivemq;
        this.startMillis = startMillis;
    }

    /** A broker as shipped: HiveMQ's file persistence. */
    static BenchBroker start(final Path root, final Path extensionHome) throws Exception {
        return start(root, extensionHome, true);
    }

    /**
     * @param extensionHome   the extension's home (its conf/config.xml), or {@code null} for a broker without it
     * @param filePersistence HiveMQ's default; {@code false} keeps sessions, queues and retained messages in memory
     */
    static BenchBroker start(final Path root, final Path extensionHome, final boolean filePersistence)
            throws Exception {
        final int port = TestBroker.freePort();
        final Path dir = Files.createDirectories(root.resolve("broker-" + (++count)));
        final BrokerHome home = new BrokerHome(dir, "127.0.0.1", port, filePersistence);
        final EmbeddedHiveMQ hivemq = extensionHome == null
                ? home.withLoadedExtensions()
                : home.embedded(new ConfigManagerMain(extensionHome));
        final long started = System.nanoTime();
        hivemq.start().get(300, TimeUnit.SECONDS);
        return new BenchBroker(port, dir, hivemq, (System.nanoTime() - started) / 1_000_000);
    }

    @Override
    public void close() throws Exception {
        hivemq.stop().get(120, TimeUnit.SECONDS);
        hivemq.close();
    }
}
