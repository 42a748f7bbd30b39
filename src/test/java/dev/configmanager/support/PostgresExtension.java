package dev.configmanager.support;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link PostgresServer} per test class: {@code @RegisterExtension static final PostgresExtension postgres = new
 * PostgresExtension();}. Started before the class's tests where the binaries are installed; a test that asks for it
 * on a machine without them is skipped, saying how to install them.
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback {

    private PostgresServer server;

    @Override
    public void beforeAll(final ExtensionContext context) throws Exception {
        if (PostgresServer.available()) {
            server = PostgresServer.start();
        }
    }

    @Override
    public void afterAll(final ExtensionContext context) throws Exception {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** The server of this class; skips the calling test where PostgreSQL is not installed. */
    public PostgresServer server() {
        Assumptions.assumeTrue(server != null, "no PostgreSQL server binaries: " + PostgresServer.INSTALL);
        return server;
    }
}
