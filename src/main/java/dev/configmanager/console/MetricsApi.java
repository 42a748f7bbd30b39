package dev.configmanager.console;

import com.codahale.metrics.MetricRegistry;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.configmanager.config.ConsoleSettings.Role;
import dev.configmanager.config.ExtensionVersion;
import dev.configmanager.wire.ErrorCode;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.dropwizard.DropwizardExports;
import io.prometheus.client.exporter.common.TextFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code GET /metrics}: the extension's metrics in Prometheus' text format, for a scraper. They live in HiveMQ's
 * registry under {@code dev.configmanager.}; the Prometheus client's Dropwizard bridge reads them at each scrape and
 * names them {@code configmanager_…}, with a request's error code and a health event as labels rather than in the
 * name. Readable by whoever may read the console: with tokens configured, a read token sent as {@code Authorization:
 * Bearer}, as Prometheus sends it.
 */
final class MetricsApi implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(MetricsApi.class);
    private static final String DROPWIZARD_PREFIX = "dev.configmanager.";
    private static final String PREFIX = "configmanager_";

    private final ConsoleAuth auth;
    private final CollectorRegistry collectors = new CollectorRegistry();

    /** @param storeProblem why the store cannot be used now, or {@code null} */
    MetricsApi(final ConsoleAuth auth, final MetricRegistry metrics, final Supplier<String> storeProblem) {
        this.auth = auth;
        collectors.register(new DropwizardExports(
                metrics, (name, metric) -> name.startsWith(DROPWIZARD_PREFIX), MetricsApi::sample));
        collectors.register(new StoreStatus(storeProblem));
    }

    @Override
    public void handle(final HttpExchange exchange) {
        final ApiExchange call = new ApiExchange(exchange);
        try {
            if (!call.method().equals("GET")) {
                throw new ApiExchange.Failure(405, ErrorCode.INVALID_REQUEST.wire(), "method not allowed here");
            }
            auth.authorize(call, Role.READ);
            final StringWriter text = new StringWriter();
            TextFormat.write004(text, collectors.metricFamilySamples());
            final byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", TextFormat.CONTENT_TYPE_004);
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        } catch (final ApiExchange.Failure f) {
            try {
                call.respondError(f.status, f.code, f.getMessage(), null);
            } catch (final IOException e) {
                log.debug("config-manager: a metrics answer could not be sent: {}", e.toString());
            }
        } catch (final IOException | RuntimeException e) {
            log.warn("config-manager: serving /metrics failed: {}", e.toString());
        } finally {
            exchange.close();
        }
    }

    /**
     * {@code dev.configmanager.requests.rejected.<code>} becomes {@code configmanager_requests_rejected{code=…}},
     * {@code dev.configmanager.health.events.<event>} {@code configmanager_health_events{event=…}},
     * {@code dev.configmanager.drift.clients.<state>.<service>} {@code configmanager_drift_clients_<state>{service=…}}; every other name
     * loses its prefix and has its dots and dashes made underscores.
     */
    static Collector.MetricFamilySamples.Sample sample(
            final String dropwizardName,
            final String nameSuffix,
            final List<String> labelNames,
            final List<String> labelValues,
            final double value) {
        String name = dropwizardName.substring(DROPWIZARD_PREFIX.length());
        final List<String> names = new ArrayList<>(labelNames == null ? List.of() : labelNames);
        final List<String> values = new ArrayList<>(labelValues == null ? List.of() : labelValues);
        for (final String[] labelled : new String[][] {
            {"requests.rejected.", "code"},
            {"health.events.", "event"},
            {"drift.clients.in_sync.", "service"},
            {"drift.clients.behind.", "service"},
            {"drift.clients.failed.", "service"},
            {"drift.clients.unknown.", "service"}
        }) {
            if (name.startsWith(labelled[0])) {
                names.add(labelled[1]);
                values.add(name.substring(labelled[0].length()));
                name = labelled[0].substring(0, labelled[0].length() - 1);
            }
        }
        return new Collector.MetricFamilySamples.Sample(
                Collector.sanitizeMetricName(PREFIX + name + (nameSuffix == null ? "" : nameSuffix)),
                names,
                values,
                value);
    }

    /** Whether the store takes writes, and which release runs: read at each scrape. */
    private static final class StoreStatus extends Collector {
        private final Supplier<String> storeProblem;

        StoreStatus(final Supplier<String> storeProblem) {
            this.storeProblem = storeProblem;
        }

        @Override
        public List<MetricFamilySamples> collect() {
            final boolean up = storeProblem.get() == null;
            return List.of(
                    new MetricFamilySamples(
                            PREFIX + "store_up",
                            Type.GAUGE,
                            "1 while the config store takes writes, 0 while writes get store_unavailable",
                            List.of(new MetricFamilySamples.Sample(
                                    PREFIX + "store_up", List.of(), List.of(), up ? 1 : 0))),
                    new MetricFamilySamples(
                            PREFIX + "info",
                            Type.GAUGE,
                            "the running release of the extension",
                            List.of(new MetricFamilySamples.Sample(
                                    PREFIX + "info", List.of("version"), List.of(ExtensionVersion.get()), 1))));
        }
    }
}
