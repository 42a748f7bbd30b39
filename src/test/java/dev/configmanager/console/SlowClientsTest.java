package dev.configmanager.console;

import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Clients that send their request headers a byte at a time (slowloris) do not take the console offline: 200 of them
 * are held open while an operator's request is answered.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SlowClientsTest {

    static final int PORT = TestBroker.freePort();
    private static final int SLOW_CLIENTS = 200;

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withSettings("<console><port>" + PORT + "</port></console>");

    @Test
    void twoHundredSlowClientsLeaveTheConsoleAnswering() throws Exception {
        final List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < SLOW_CLIENTS; i++) {
                final Socket s = new Socket("127.0.0.1", PORT);
                s.getOutputStream()
                        .write("GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                                .getBytes(StandardCharsets.US_ASCII));
                slow.add(s);
            }
            final HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            for (int round = 0; round < 3; round++) {
                trickle(slow); // each slow client sends one more byte of its never-ending header
                final long started = System.nanoTime();
                final HttpResponse<String> status = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/api/status"))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, status.statusCode(), status.body());
                System.out.printf(
                        "SlowClientsTest: /api/status answered in %.1f ms with %d slow clients held open%n",
                        (System.nanoTime() - started) / 1e6, SLOW_CLIENTS);
                Thread.sleep(500);
            }
        } finally {
            for (final Socket s : slow) {
                s.close();
            }
        }
    }

    private static void trickle(final List<Socket> sockets) {
        for (final Socket s : sockets) {
            try {
                s.getOutputStream().write('x');
            } catch (final IOException closedByTheServer) {
                // a server may drop a client this slow; either way it holds nothing
            }
        }
    }
}
