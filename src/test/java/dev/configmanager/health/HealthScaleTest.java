package dev.configmanager.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.extension.sdk.api.services.Services;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Thousands of real MQTT connections come and go; afterwards every client's retained health says what happened to
 * it last: none missing, none stale. Not timed: the benchmarks measure speed.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class HealthScaleTest {

    private static final int CLIENTS = 2_000;
    private static final int BATCH = 250;

    @RegisterExtension
    static final BrokerExtension broker =
            BrokerExtension.withSettings("<health><keepalive-interval>1s</keepalive-interval></health>");

    @Test
    void everyClientEndsWithTheRightRetainedHealth() throws Exception {
        final List<Mqtt5AsyncClient> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            clients.add(Mqtt5Client.builder()
                    .identifier("scale-" + i)
                    .serverHost("127.0.0.1")
                    .serverPort(broker.port())
                    .buildAsync());
        }
        inBatches(clients, c -> c.connect().thenApply(ack -> null));
        // Three fates: a quarter leave gracefully, a quarter leave and come back, the rest stay connected.
        final List<Mqtt5AsyncClient> leaving = clients.subList(0, CLIENTS / 2);
        inBatches(leaving, c -> c.disconnect());
        final List<Mqtt5AsyncClient> returning = clients.subList(CLIENTS / 4, CLIENTS / 2);
        inBatches(returning, c -> c.connect().thenApply(ack -> null));

        final Map<String, String> expected = new ConcurrentHashMap<>();
        for (int i = 0; i < CLIENTS; i++) {
            expected.put("scale-" + i, i < CLIENTS / 4 ? "disconnected" : "connected");
        }
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        Map<String, String> wrong;
        do {
            wrong = mismatches(expected);
            if (wrong.isEmpty()) {
                break;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        assertEquals(Map.of(), wrong.size() > 20 ? Map.of("count", String.valueOf(wrong.size())) : wrong);

        inBatches(clients.subList(CLIENTS / 4, CLIENTS), c -> c.disconnect());
    }

    /** Client id → what its retained health says, for every client whose health is not the expected event. */
    private static Map<String, String> mismatches(final Map<String, String> expected) throws Exception {
        final Map<String, String> actual = new ConcurrentHashMap<>();
        Services.retainedMessageStore()
                .iterateAllRetainedMessages((context, message) -> {
                    if (message.getTopic().startsWith("system/health/scale-")) {
                        final var payload = message.getPayload().orElseThrow();
                        final byte[] bytes = new byte[payload.remaining()];
                        payload.duplicate().get(bytes);
                        final JsonNode data = Requester.parse(bytes).get("data");
                        actual.put(
                                message.getTopic().substring("system/health/".length()),
                                data.get("event").asText() + (data.get("ok").asBoolean() ? "" : "(not ok)"));
                    }
                })
                .get(30, TimeUnit.SECONDS);
        final Map<String, String> wrong = new ConcurrentHashMap<>();
        expected.forEach((id, event) -> {
            final String want = event.equals("connected") ? "connected" : event + "(not ok)";
            final String got = actual.getOrDefault(id, "missing");
            if (!want.equals(got)) {
                wrong.put(id, got + " instead of " + want + " (lookup: " + lookup(id) + ")");
            }
        });
        return wrong;
    }

    private static String lookup(final String id) {
        try {
            return Services.retainedMessageStore()
                    .getRetainedMessage("system/health/" + id)
                    .get(10, TimeUnit.SECONDS)
                    .flatMap(p -> p.getPayload())
                    .map(b -> {
                        final byte[] bytes = new byte[b.remaining()];
                        b.duplicate().get(bytes);
                        return Requester.parse(bytes).get("data").get("event").asText();
                    })
                    .orElse("missing");
        } catch (final Exception e) {
            return e.toString();
        }
    }

    private static void inBatches(
            final List<Mqtt5AsyncClient> clients,
            final java.util.function.Function<Mqtt5AsyncClient, CompletableFuture<Void>> action)
            throws Exception {
        for (int from = 0; from < clients.size(); from += BATCH) {
            final List<CompletableFuture<Void>> batch = new ArrayList<>();
            for (final Mqtt5AsyncClient c : clients.subList(from, Math.min(clients.size(), from + BATCH))) {
                batch.add(action.apply(c));
            }
            CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
    }
}
