package dev.configmanager.support;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One embedded broker with config-manager per test class, started before the class's {@code @BeforeAll} methods and
 * stopped after them: {@code @RegisterExtension static final BrokerExtension broker = ...}. In manual mode (restart
 * tests) the test starts it, in the folder the extension made, however it needs to, and may stop and start it again;
 * the extension still closes it and removes the folder at the end.
 */
public final class BrokerExtension implements BeforeAllCallback, AfterAllCallback {

    /** How a manual-mode test starts its broker in the folder the extension made. */
    public interface Starter {
        TestBroker start(Path dir) throws Exception;
    }

    private final String settings;
    private final boolean manual;
    private Path dir;
    private TestBroker broker;

    private BrokerExtension(final String settings, final boolean manual) {
        this.settings = settings;
        this.manual = manual;
    }

    public static BrokerExtension withDefaults() {
        return new BrokerExtension("", false);
    }

    /** @param settings XML elements added inside the extension's {@code <config-manager>} */
    public static BrokerExtension withSettings(final String settings) {
        return new BrokerExtension(settings, false);
    }

    /** Nothing started: the test calls {@link #start}. */
    public static BrokerExtension manual() {
        return new BrokerExtension("", true);
    }

    /**
     * Starts the broker of a manual-mode test, e.g. {@code broker.start(TestBroker::start)}, after closing one a
     * previous test of the class started.
     */
    public TestBroker start(final Starter how) throws Exception {
        if (broker != null) {
            broker.close(); // one embedded broker per JVM at a time
        }
        broker = how.start(dir);
        return broker;
    }

    @Override
    public void beforeAll(final ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("config-manager-test");
        if (!manual) {
            broker = TestBroker.start(dir, settings);
        }
    }

    @Override
    public void afterAll(final ExtensionContext context) throws Exception {
        try {
            if (broker != null) {
                broker.close();
            }
        } finally {
            deleteTree(dir);
        }
    }

    public int port() {
        return broker.port();
    }

    /** An MQTT 5 client of this broker, connected (clean start) as {@code clientId}. */
    public com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient connect(final String clientId) {
        final var client = com.hivemq.client.mqtt.mqtt5.Mqtt5Client.builder()
                .identifier(clientId)
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .buildBlocking();
        client.connect();
        return client;
    }

    public Connection openDatabase() throws SQLException {
        return broker.openDatabase();
    }

    public TestBroker broker() {
        return broker;
    }

    private static void deleteTree(final Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
