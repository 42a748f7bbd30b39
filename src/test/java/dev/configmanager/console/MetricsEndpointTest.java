package dev.configmanager.console;

import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.TestBroker;
import dev.configmanager.wire.CanonicalJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /metrics} is what Prometheus scrapes: the extension's metrics in the text format, named {@code
 * configmanager_…} with error codes as labels, each family declared once, readable with a read token as a Bearer
 * token and by nobody without one.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MetricsEndpointTest {

    private static final int CONSOLE = TestBroker.freePort();
    private static final String READER = "read-token-metrics-4b1d";

    @RegisterExtension
    static final BrokerExtension broker =
            BrokerExtension.withSettings("""
            <console><port>%d</port>
              <token><name>prometheus</name><role>read</role><sha256>%s</sha256></token>
            </console>""".formatted(CONSOLE, CanonicalJson.sha256Hex(READER)));

    private static HttpResponse<String> scrape(final String token) throws Exception {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + CONSOLE + "/metrics"));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sample lines by name and labels, as written: {@code name{labels}} → value. */
    private static Map<String, Double> samples(final String text) {
        final Map<String, Double> samples = new HashMap<>();
        for (final String line : text.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                final int space = line.lastIndexOf(' ');
                samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return samples;
    }

    @Test
    void aScrapeWithAReadTokenGetsTheExtensionsMetricsInPrometheusTextFormat() throws Exception {
        try (Requester r = new Requester(broker.port(), "metrics-writer")) {
            assertTrue(r.send("set", "metered", "{\"config\": {\"a\": 1}}").accepted());
            assertTrue(r.send("set", "metered", "{\"config\": {\"a\": 2}}").accepted());
            assertEquals("invalid_json", r.send("set", "metered", "{nope").errorCode());
        }
        broker.connect("metrics-client").disconnect();

        assertEquals(401, scrape(null).statusCode(), "tokens are configured: no anonymous scrape");
        assertEquals(401, scrape("not-a-token-of-this-console").statusCode());

        final HttpResponse<String> response = scrape(READER);
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(
                response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                response.headers().toString());
        final String text = response.body();
        final Map<String, Double> samples = samples(text);
        assertTrue(samples.get("configmanager_requests_accepted") >= 2, text);
        assertEquals(1.0, samples.get("configmanager_requests_rejected{code=\"invalid_json\",}"), text);
        assertEquals(1.0, samples.get("configmanager_store_up"), text);
        assertTrue(samples.get("configmanager_health_events{event=\"connected\",}") >= 1, text);
        assertTrue(samples.containsKey("configmanager_store_commit{quantile=\"0.99\",}"), text);
        assertTrue(samples.get("configmanager_store_commit_count") >= 2, text);

        final Set<String> declared = new HashSet<>();
        for (final String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                assertTrue(declared.add(line.split(" ")[2]), "declared twice: " + line);
            } else if (!line.startsWith("#") && !line.isBlank()) {
                assertTrue(line.startsWith("configmanager_"), "only the extension's metrics: " + line);
            }
        }
        assertFalse(declared.isEmpty());
    }
}
