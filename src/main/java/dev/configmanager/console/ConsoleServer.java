package dev.configmanager.console;

import com.hivemq.extension.sdk.api.services.publish.RetainedMessageStore;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.configmanager.config.ConsoleSettings;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.pipeline.ConfigPipeline;
import dev.configmanager.pipeline.SchemaRegistry;
import dev.configmanager.pipeline.Threads;
import dev.configmanager.store.ConfigStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The admin console's HTTP server (JDK {@code HttpServer}, a small pool of our own daemon threads), started and
 * stopped with the extension. A port that is taken leaves the broker and the rest of the extension running.
 */
public final class ConsoleServer {

    private static final Logger log = LoggerFactory.getLogger(ConsoleServer.class);

    private final HttpServer server;
    private final ExecutorService threads;

    private ConsoleServer(final HttpServer server, final ExecutorService threads) {
        this.server = server;
        this.threads = threads;
    }

    /** Starts the console, or returns {@code null} (with the reason in the log) when it is off or cannot bind. */
    public static ConsoleServer start(final ExtensionSettings settings, final ConfigPipeline pipeline,
                                      final ConfigStore store, final SchemaRegistry schemas,
                                      final RetainedMessageStore retained, final Supplier<String> storeProblem) {
        final ConsoleSettings console = settings.console();
        if (!console.enabled()) {
            log.info("config-manager: console disabled in conf/config.xml");
            return null;
        }
        final HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(console.bind(), console.port()), 0);
        } catch (final IOException e) {
            log.error("config-manager: the console cannot listen on {}:{} ({}); the broker and MQTT config requests "
                    + "work without it. Free the port or set <console><port> in conf/config.xml.", console.bind(),
                    console.port(), e.getMessage());
            return null;
        }
        final var hosts = new ConsoleHosts(console.hosts(), server.getAddress().getPort());
        final var auth = new ConsoleAuth(console.tokens(), hosts);
        final var configs = new ConfigApi(pipeline, store, schemas, auth, settings.maxPayloadBytes(),
                settings.requestTimeout());
        final var hostCheck = new HostCheck(hosts);
        server.createContext("/api/", new ApiHandler(configs, store, schemas, auth, retained,
                settings.health().healthPrefix(), storeProblem, settings.maxPayloadBytes()))
                .getFilters().add(hostCheck);
        server.createContext("/", new StaticFiles()).getFilters().add(hostCheck);
        final ExecutorService threads = Executors.newFixedThreadPool(4, Threads.factory("config-manager-console"));
        server.setExecutor(threads);
        server.start();
        log.info("config-manager: console on http://{}:{}/ ({})", console.bind(),
                server.getAddress().getPort(), auth.hasTokens() ? console.tokens().size() + " token(s)"
                        : "no tokens configured: read-only");
        return new ConsoleServer(server, threads);
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
                new ApiExchange(exchange).respondError(421, "misdirected_request", "this console does not answer to "
                        + "that Host name; add it as <console><host> in conf/config.xml if it is yours", null);
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
        return server.getAddress().getPort();
    }

    public void stop() {
        server.stop(0);
        threads.shutdownNow();
    }
}
