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
 * stopped after them: {@code @RegisterExtension static final BrokerExtension broker = ...}.
 */
public final class BrokerExtension implements BeforeAllCallback, AfterAllCallback {

    private final String settings;
    private Path dir;
    private TestBroker broker;

    private BrokerExtension(final String settings) {
        this.settings = settings;
    }

    public static BrokerExtension withDefaults() {
        return new BrokerExtension("");
    }

    /** @param settings XML elements added inside the extension's {@code <config-manager>} */
    public static BrokerExtension withSettings(final String settings) {
        return new BrokerExtension(settings);
    }

    @Override
    public void beforeAll(final ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("config-manager-test");
        broker = TestBroker.start(dir, settings);
    }

    @Override
    public void afterAll(final ExtensionContext context) throws Exception {
        try {
            broker.close();
        } finally {
            deleteTree(dir);
        }
    }

    public int port() {
        return broker.port();
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
