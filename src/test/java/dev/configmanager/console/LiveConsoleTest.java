package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.TestBroker;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What keeps the console page current and safe: changes pushed as Server-Sent Events (a config change, a client's
 * health), the rejections of the last hour per service, and a style nonce new at every page load, the only inline
 * style the page's Content-Security-Policy lets in.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LiveConsoleTest {

    private static final int CONSOLE = TestBroker.freePort();
    private static final String READER = "read-token-live-7e21";

    @RegisterExtension
    static final BrokerExtension broker =
            BrokerExtension.withSettings("""
            <console><port>%d</port>
              <token><name>viewer</name><role>read</role><sha256>%s</sha256></token>
            </console>""".formatted(CONSOLE, CanonicalJson.sha256Hex(READER)));

    private static final HttpClient http = HttpClient.newHttpClient();

    private static HttpRequest.Builder request(final String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + CONSOLE + path))
                .header("Authorization", "Bearer " + READER);
    }

    @Test
    void changesArePushedAsTheyHappen() throws Exception {
        final HttpResponse<InputStream> stream =
                http.send(request("/api/events").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        assertTrue(stream.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        final BlockingQueue<String> data = new LinkedBlockingQueue<>();
        final Thread reader = new Thread(() -> {
            try (BufferedReader lines =
                    new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.startsWith("data: ")) {
                        data.add(line.substring(6));
                    }
                }
            } catch (final Exception e) {
                // the stream ends with the test
            }
        });
        reader.setDaemon(true);
        reader.start();

        try (Requester r = new Requester(broker.port(), "live-writer")) {
            data.clear(); // the writer's own connect
            assertTrue(r.send("set", "live-svc", "{\"config\": {\"a\": 1}}").accepted());
            assertTrue(changed(data, "services"), "a config change is pushed");
        }
        data.clear();
        broker.connect("live-client").disconnect();
        assertTrue(changed(data, "clients"), "a client's health is pushed");
    }

    private static boolean changed(final BlockingQueue<String> data, final String kind) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            final String next = data.poll(100, TimeUnit.MILLISECONDS);
            if (next != null) {
                for (final JsonNode k : Json.parse(next).path("changed")) {
                    if (k.asText().equals(kind)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Test
    void theOverviewCountsEachServicesRejectionsOfTheLastHour() throws Exception {
        try (Requester r = new Requester(broker.port(), "rejections")) {
            assertTrue(r.send("set", "counted", "{\"config\": {\"a\": 1}}").accepted());
            assertEquals("invalid_json", r.send("set", "counted", "{nope").errorCode());
            assertEquals("invalid_json", r.send("set", "counted", "{nope").errorCode());
        }
        for (final JsonNode row :
                Json.parse(http.send(request("/api/services").build(), HttpResponse.BodyHandlers.ofString())
                        .body())) {
            if (row.path("service").asText().equals("counted")) {
                assertEquals(2, row.path("rejected_last_hour").asInt());
                return;
            }
        }
        throw new AssertionError("the service is listed");
    }

    @Test
    void everyPageLoadHasItsOwnStyleNonceAndNoOtherInlineStyleOrScript() throws Exception {
        final String first = nonceOf(http.send(request("/").build(), HttpResponse.BodyHandlers.ofString()));
        final String second = nonceOf(http.send(request("/").build(), HttpResponse.BodyHandlers.ofString()));
        assertNotEquals(first, second, "a nonce is never reused");
    }

    private static String nonceOf(final HttpResponse<String> page) {
        final String policy =
                page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(policy.contains("script-src 'self';"), policy);
        final Matcher nonce = Pattern.compile("style-src 'self' 'nonce-([A-Za-z0-9+/=]{24})';")
                .matcher(policy);
        assertTrue(nonce.find(), policy);
        assertTrue(
                page.body().contains("<script src=\"/app.js\" defer nonce=\"" + nonce.group(1) + "\">"),
                "the page reads the nonce its policy allows");
        assertNotNull(nonce.group(1));
        return nonce.group(1);
    }
}
