package dev.configmanager.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Throwaway client ids do not pile up: a client gone longer than {@code <health><forget-after>} loses its retained
 * health and its row in the console, and an admin can forget a client that is gone now. A connected client is never
 * forgotten.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ForgetClientsTest {

    private static final int CONSOLE = TestBroker.freePort();
    private static final String ADMIN = "admin-token-forget-7f3a";
    private static final String READER = "read-token-forget-19bc";

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withSettings(
            """
            <health><forget-after>6s</forget-after></health>
            <console><port>%d</port>
              <token><name>root</name><role>admin</role><sha256>%s</sha256></token>
              <token><name>viewer</name><role>read</role><sha256>%s</sha256></token>
            </console>""".formatted(CONSOLE, CanonicalJson.sha256Hex(ADMIN), CanonicalJson.sha256Hex(READER)));

    private static HttpResponse<String> call(final String method, final String path, final String token)
            throws Exception {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + CONSOLE + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean listed(final String clientId) throws Exception {
        for (final JsonNode row : Json.parse(call("GET", "/api/clients", READER).body())) {
            if (row.path("client").asText().equals(clientId)
                    || row.path("client_id").asText().equals(clientId)) {
                return true;
            }
        }
        return false;
    }

    private static void awaitGone(final String topic) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (RetainedReader.stored(topic).isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    @Test
    void aClientGoneLongerThanForgetAfterIsForgottenAndAConnectedOneNever() throws Exception {
        final Mqtt5BlockingClient stays = broker.connect("stays-1");
        broker.connect("gone-1").disconnect();
        RetainedReader.await(
                "system/health/gone-1", h -> !h.path("data").path("ok").asBoolean());
        assertTrue(listed("gone-1"));

        awaitGone("system/health/gone-1");
        assertTrue(RetainedReader.stored("system/health/gone-1").isEmpty(), "forgotten after 6 s gone");
        assertFalse(listed("gone-1"), "and no longer a row in the console");

        Thread.sleep(7_000); // connected for longer than forget-after
        assertTrue(
                RetainedReader.await("system/health/stays-1", h -> true)
                        .path("data")
                        .path("ok")
                        .asBoolean(),
                "a connected client is never forgotten");
        stays.disconnect();
    }

    @Test
    void anAdminForgetsAGoneClientNowAndNeverAConnectedOne() throws Exception {
        final Mqtt5BlockingClient live = broker.connect("live-2");
        broker.connect("old-2").disconnect();
        RetainedReader.await(
                "system/health/old-2", h -> !h.path("data").path("ok").asBoolean());

        assertEquals(401, call("DELETE", "/api/clients/old-2", null).statusCode());
        assertEquals(403, call("DELETE", "/api/clients/old-2", READER).statusCode());
        final HttpResponse<String> connected = call("DELETE", "/api/clients/live-2", ADMIN);
        assertEquals(409, connected.statusCode(), connected.body());
        assertEquals(
                "client_connected",
                Json.parse(connected.body()).path("error").path("code").asText());
        assertEquals(400, call("DELETE", "/api/clients/config-manager", ADMIN).statusCode(), "the extension's own");
        assertEquals(404, call("DELETE", "/api/clients/never-here", ADMIN).statusCode());

        final HttpResponse<String> forgotten = call("DELETE", "/api/clients/old-2", ADMIN);
        assertEquals(200, forgotten.statusCode(), forgotten.body());
        assertTrue(RetainedReader.stored("system/health/old-2").isEmpty(), "its retained health is gone at once");
        assertFalse(listed("old-2"));
        assertTrue(RetainedReader.stored("system/health/live-2").isPresent(), "the connected client is untouched");
        live.disconnect();
    }
}
