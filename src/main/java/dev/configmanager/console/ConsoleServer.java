package dev.configmanager.console;

import com.codahale.metrics.MetricRegistry;
import com.hivemq.extension.sdk.api.services.publish.RetainedMessageStore;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import dev.configmanager.backup.StoreTransfer;
import dev.configmanager.concurrent.ChangeNotices;
import dev.configmanager.config.ConsoleSettings;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.drift.FleetDrift;
import dev.configmanager.health.HealthService;
import dev.configmanager.pipeline.ConfigPipeline;
import dev.configmanager.pipeline.SchemaRegistry;
import dev.configmanager.security.SigningKey;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.SharedPresence;
import org.eclipse.jetty.http.spi.JettyHttpServer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.function.Supplier;

/**
 * The admin console's HTTP server, started and stopped with the extension. The handlers are written against the JDK's
 * {@code com.sun.net.httpserver} API; underneath runs Jetty's connector, because the JDK server reads request headers
 * on its worker threads with no time limit, so four clients sending headers slowly took the console offline. Jetty
 * parses without holding a thread, closes connections idle for {@link #IDLE_TIMEOUT_MS}, bounds headers and the
 * number of connections. A port that is taken leaves the broker and the rest of the extension running.
 */
public final class ConsoleServer {

    private static final Logger log = LoggerFactory.getLogger(ConsoleServer.class);
    /** A connection that sends or reads nothing for this long is closed (a header sent a byte at a time included). */
    static final long IDLE_TIMEOUT_MS = 10_000;
    /** Connections held at once; more wait to be accepted. */
    static final int MAX_CONNECTIONS = 1_024;

    private static final int MAX_HEADER_BYTES = 8 * 1024;

    private final JettyHttpServer server;
    private final ServerConnector connector;

    private ConsoleServer(final JettyHttpServer server, final ServerConnector connector) {
        this.server = server;
        this.connector = connector;
    }

    /**
     * What the console shows and acts on: the extension's parts it reads from and writes through.
     *
     * @param storeProblem why the store cannot be used now, or {@code null}
     * @param presence     the clients of every broker of a shared database, or {@code null}
     * @param signer       the key {@code config/updated} is signed with, or {@code null}
     */
    public record Parts(
            ExtensionSettings settings,
            ConfigPipeline pipeline,
            ConfigStore store,
            SchemaRegistry schemas,
            RetainedMessageStore retained,
            Supplier<String> storeProblem,
            @Nullable SharedPresence presence,
            @Nullable SigningKey signer,
            HealthService health,
            StoreTransfer transfer,
            MetricRegistry metrics,
            ChangeNotices notices,
            FleetDrift drift) {}

    /**
     * Starts the console, or returns {@code null} (with the reason in the log) when it is off, cannot bind or fails
     * to start: the console is never a reason for the extension not to run.
     */
    public static @Nullable ConsoleServer start(final Parts parts) {
        try {
            return startConsole(parts);
        } catch (final RuntimeException e) {
            log.error(
                    "config-manager: the console could not be started; the broker and MQTT config requests work "
                            + "without it",
                    e);
            return null;
        }
    }

    private static @Nullable ConsoleServer startConsole(final Parts parts) {
        final ExtensionSettings settings = parts.settings();
        final ConsoleSettings console = settings.console();
        if (!console.enabled()) {
            log.info("config-manager: console disabled in conf/config.xml");
            return null;
        }
        // 8 for requests, and one for each live view the page holds open (LiveEvents bounds them)
        final QueuedThreadPool threads = new QueuedThreadPool(8 + LiveEvents.MAX_STREAMS, 2);
        threads.setName("config-manager-console");
        threads.setDaemon(true);
        final Server jetty = new Server(threads);
        final HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(MAX_HEADER_BYTES);
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        final ServerConnector connector = new ServerConnector(jetty, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(console.bind());
        connector.setPort(console.port());
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        jetty.addConnector(connector);
        jetty.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, connector));
        jetty.setHandler(new ContextHandlerCollection()); // where the SPI puts each context
        final JettyHttpServer server = new JettyHttpServer(jetty, false, http);
        try {
            server.bind(new InetSocketAddress(console.bind(), console.port()), 0);
        } catch (final IOException e) {
            log.error(
                    "config-manager: the console cannot use {}:{} ({})",
                    console.bind(),
                    console.port(),
                    e.getMessage());
            return null;
        }
        final var hosts = new ConsoleHosts(console.hosts(), connector::getLocalPort);
        final var auth = new ConsoleAuth(console.tokens(), hosts);
        final var configs = new ConfigApi(
                parts.pipeline(),
                parts.store(),
                parts.schemas(),
                auth,
                settings.maxPayloadBytes(),
                settings.requestTimeout());
        final var hostCheck = new HostCheck(hosts);
        final var fleet = new FleetApi(
                configs,
                parts.store(),
                auth,
                parts.retained(),
                settings.health().healthPrefix(),
                parts.storeProblem(),
                parts.presence(),
                parts.health(),
                parts.drift());
        final var schemaApi = new SchemaApi(
                parts.pipeline(), parts.schemas(), auth, settings.maxPayloadBytes(), settings.requestTimeout());
        final var backups = new BackupApi(auth, parts.transfer(), Clock.systemUTC());
        server.createContext(
                        "/api",
                        new ApiRouter(
                                configs,
                                fleet,
                                schemaApi,
                                new SigningKeyApi(auth, parts.signer()),
                                backups,
                                new LiveEvents(auth, parts.notices()),
                                new DriftApi(parts.drift(), auth)))
                .getFilters()
                .add(hostCheck);
        server.createContext("/metrics", new MetricsApi(auth, parts.metrics(), parts.storeProblem()))
                .getFilters()
                .add(hostCheck);
        server.createContext("/", new StaticFiles()).getFilters().add(hostCheck);
        try {
            server.start();
        } catch (final RuntimeException e) {
            log.error(
                    "config-manager: the console cannot listen on {}:{} ({}); the broker and MQTT config requests "
                            + "work without it. Free the port or set <console><port> in conf/config.xml.",
                    console.bind(),
                    console.port(),
                    e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
            stopQuietly(jetty);
            return null;
        }
        log.info(
                "config-manager: console on http://{}:{}/ ({})",
                console.bind(),
                connector.getLocalPort(),
                auth.hasTokens() ? console.tokens().size() + " token(s)" : "no tokens configured: read-only");
        return new ConsoleServer(server, connector);
    }

    /** Refuses a request whose Host the console does not serve, before any handler sees it. */
    private static final class HostCheck extends Filter {
        private final ConsoleHosts hosts;

        HostCheck(final ConsoleHosts hosts) {
            this.hosts = hosts;
        }

        @Override
        public void doFilter(final HttpExchange exchange, final Chain chain) throws IOException {
            if (hosts.serves(exchange.getRequestHeaders().getFirst("Host"))) {
                chain.doFilter(exchange);
                return;
            }
            try {
                new ApiExchange(exchange)
                        .respondError(
                                421,
                                "misdirected_request",
                                "this console does not answer to "
                                        + "that Host name; add it as <console><host> in conf/config.xml if it is yours",
                                null);
            } finally {
                exchange.close();
            }
        }

        @Override
        public String description() {
            return "refuses Host names the console does not serve (DNS rebinding)";
        }
    }

    public int port() {
        return connector.getLocalPort();
    }

    public void stop() {
        server.stop(0);
    }

    private static void stopQuietly(final Server jetty) {
        try {
            jetty.stop();
        } catch (final Exception e) {
            log.debug("config-manager: stopping the console after a failed start: {}", e.toString());
        }
    }
}
