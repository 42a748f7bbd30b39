package dev.configmanager.bench;

import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import dev.configmanager.ConfigManagerMain;
import dev.configmanager.support.BrokerHome;
import dev.configmanager.support.TestBroker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

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
        return launch(
                root,
                filePersistence,
                home -> extensionHome == null
                        ? home.withLoadedExtensions()
                        : home.embedded(new ConfigManagerMain(extensionHome)));
    }

    /** A broker with another embedded extension: a stand-in for a comparison. */
    static BenchBroker start(final Path root, final ExtensionMain main, final String id, final boolean filePersistence)
            throws Exception {
        return launch(root, filePersistence, home -> home.embedded(main, id, id));
    }

    private static BenchBroker launch(
            final Path root, final boolean filePersistence, final Function<BrokerHome, EmbeddedHiveMQ> embedding)
            throws Exception {
        final int port = TestBroker.freePort();
        final Path dir = Files.createDirectories(root.resolve("broker-" + (++count)));
        final EmbeddedHiveMQ hivemq = embedding.apply(new BrokerHome(dir, "127.0.0.1", port, filePersistence));
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
