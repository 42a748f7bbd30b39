package dev.configmanager.console;

import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Without any token configured the console reads, refuses writes, and says how to add a token. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsoleWithoutTokensTest {

    static final int PORT = TestBroker.freePort();

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withSettings("<console><port>" + PORT + "</port></console>");

    @Test
    void writesAreRefusedWithInstructionsAndReadsWork() throws Exception {
        final HttpClient http = HttpClient.newHttpClient();
        final HttpResponse<String> write = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/api/services/router"))
                        .header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, write.statusCode());
        assertTrue(write.body().contains("<console><token>"), write.body());
        final HttpResponse<String> read = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/api/services"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, read.statusCode());
        assertEquals("[]", read.body());
    }
}
