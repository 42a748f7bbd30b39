package dev.configmanager.mqtt;

import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.Requester.Reply;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A schema pattern that backtracks catastrophically on a short value neither stalls the writer nor delays another
 * service's write: its validation is bounded and runs before the writer.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SlowSchemaTest {

    static final int CONSOLE = TestBroker.freePort();
    static final String ADMIN = "admin-token-slow";

    @RegisterExtension
    static final BrokerExtension broker =
            BrokerExtension.withSettings("""
            <console><port>%d</port><token><name>root</name><role>admin</role><sha256>%s</sha256></token></console>
            """.formatted(CONSOLE, dev.configmanager.wire.CanonicalJson.sha256Hex(ADMIN)));

    @Test
    void aBacktrackingPatternIsRefusedQuicklyAndOtherWritesGoOn() throws Exception {
        final HttpResponse<String> schema = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + CONSOLE + "/api/schemas/slow-svc"))
                                .PUT(HttpRequest.BodyPublishers.ofString(
                                        "{\"type\": \"object\", \"properties\": {\"name\": "
                                                + "{\"type\": \"string\", \"pattern\": \"^(a+)+\\\\1$\"}}}"))
                                .header("Authorization", "Bearer " + ADMIN)
                                .header("Content-Type", "application/json")
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, schema.statusCode(), schema.body());

        try (Requester slow = new Requester(broker.port(), "slow-writer");
                Requester fast = new Requester(broker.port(), "fast-writer")) {
            // a back-reference keeps Java from memoizing the loop: every split of thirty a's is tried before the
            // '!' fails the match (22 a's took 0.2 s here, 30 would take minutes)
            final CompletableFuture<Reply> backtracking = CompletableFuture.supplyAsync(() -> {
                try {
                    return slow.send("set", "slow-svc", "{\"config\": {\"name\": \"" + "a".repeat(30) + "!\"}}");
                } catch (final InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            final long[] nanos = new long[10];
            for (int i = 0; i < nanos.length; i++) {
                final long started = System.nanoTime();
                assertTrue(fast.send("set", "svc-fast", "{\"config\": {\"n\": " + i + "}}")
                        .accepted());
                nanos[i] = System.nanoTime() - started;
            }
            final Reply refused = backtracking.get(60, TimeUnit.SECONDS);
            assertEquals(
                    "schema_violation", refused.errorCode(), refused.envelope().toString());
            assertTrue(
                    refused.envelope().toString().contains("steps"),
                    refused.envelope().toString());
            java.util.Arrays.sort(nanos);
            System.out.printf(
                    "SlowSchemaTest: 10 writes of another service beside a backtracking validation: "
                            + "median %.1f ms, slowest %.1f ms (the first in a cold JVM)%n",
                    nanos[5] / 1e6, nanos[9] / 1e6);
            assertTrue(
                    slow.send("set", "slow-svc", "{\"config\": {\"name\": \"aaaa\"}}")
                            .accepted(),
                    "a value the pattern matches is still stored");
        }
    }
}
