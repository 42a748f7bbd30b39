package dev.configmanager.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Figure 8: a fleet reports what it applied, all at once, as it does after each change (desired versus running).
 * How long until every report of {@value #CLIENTS} clients is stored (the PUBACK of each), and what a config write
 * meets meanwhile: the report writer shares the store's lock and sync with the config writer, one batch at a time.
 */
final class ReportsFigure {

    private static final int CLIENTS = 1_000;
    private static final int STORMS = 10;
    /** Config writes before each storm, a second after the last one ended. */
    private static final int QUIET_ROUND_TRIPS = 50;

    private ReportsFigure() {}

    static void run(final Table table, final Path work, final Path extension) throws Exception {
        try (BenchBroker broker = BenchBroker.start(work, extension);
                Requester ops = new Requester(broker.port, "bench-ops")) {
            set(ops, "fleet", 0);
            final List<Mqtt5AsyncClient> fleet = connect(broker.port);
            try {
                final List<Double> quiet = new ArrayList<>();
                final List<Double> storms = new ArrayList<>();
                final List<Double> during = new ArrayList<>();
                final List<Double> plainStorms = new ArrayList<>();
                final List<Double> duringPlain = new ArrayList<>();
                for (int storm = -1; storm < STORMS; storm++) { // one of each warms up
                    set(ops, "fleet", storm + 2);
                    final JsonNode current = RetainedReader.receiveJson(broker.port, "config/updated/fleet");
                    final byte[] report = ("{\"version\": "
                                    + current.get("version").asLong() + ", \"checksum\": \""
                                    + current.get("checksum").asText() + "\", \"ok\": true}")
                            .getBytes(StandardCharsets.UTF_8);
                    // the same storm of QoS 1 publishes to a topic nobody reads: what the storm costs any write
                    // on two shared cores, so that the reports' own share shows
                    // quiet first, after the last storm's PUBACKs (and, at first, after the fleet's connects)
                    Thread.sleep(1_000);
                    for (int i = 0; i < QUIET_ROUND_TRIPS; i++) {
                        final double ms = set(ops, "bench-rt", i);
                        if (storm >= 0) {
                            quiet.add(ms);
                        }
                    }
                    final double plain = storm(broker.port, fleet, "fleet/ping", report, duringPlain, storm >= 0);
                    final double reports =
                            storm(broker.port, fleet, "config/applied/fleet", report, during, storm >= 0);
                    if (storm >= 0) {
                        plainStorms.add(plain);
                        storms.add(reports);
                    }
                }
                final Stats storm = Stats.of(toArray(storms));
                table.add(
                        "8 all reports of a fleet stored (PUBACKs)",
                        CLIENTS + " clients at once",
                        "ms",
                        storm,
                        STORMS + " storms; " + Math.round(CLIENTS / (storm.median() / 1000))
                                + " reports/s at the median");
                table.add(
                        "8 config request → result, quiet",
                        "18 B request",
                        "ms",
                        Stats.of(toArray(quiet)),
                        quiet.size() + " in sequence, " + QUIET_ROUND_TRIPS + " before each storm");
                table.add(
                        "8 the same storm of plain QoS1 publishes (no subscriber)",
                        CLIENTS + " clients at once",
                        "ms",
                        Stats.of(toArray(plainStorms)),
                        "the storm's cost on two shared cores, without reports");
                table.add(
                        "8 config request → result, during plain storms",
                        "18 B request",
                        "ms",
                        Stats.of(toArray(duringPlain)),
                        duringPlain.size() + " in sequence while they ran");
                table.add(
                        "8 config request → result, during report storms",
                        "18 B request",
                        "ms",
                        Stats.of(toArray(during)),
                        during.size() + " in sequence while the storms ran");
            } finally {
                for (final Mqtt5AsyncClient c : fleet) {
                    c.disconnect();
                }
            }
        }
    }

    /**
     * Every client publishes {@code payload} to {@code topic} at once (QoS 1) while a second requester writes configs
     * in sequence; the time until every PUBACK came, the writes' times added to {@code writes}.
     */
    private static double storm(
            final int port,
            final List<Mqtt5AsyncClient> fleet,
            final String topic,
            final byte[] payload,
            final List<Double> writes,
            final boolean keep)
            throws Exception {
        final AtomicBoolean storming = new AtomicBoolean(true);
        final List<Double> times = new ArrayList<>();
        final Thread writer = new Thread(() -> {
            try (Requester other = new Requester(port, "bench-ops-2")) {
                for (int i = 0; storming.get(); i++) {
                    times.add(set(other, "bench-rt", i));
                }
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
        });
        final long started = System.nanoTime();
        writer.start();
        final List<CompletableFuture<Mqtt5PublishResult>> acks = new ArrayList<>(fleet.size());
        for (final Mqtt5AsyncClient c : fleet) {
            acks.add(c.publishWith()
                    .topic(topic)
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .payload(payload)
                    .send());
        }
        for (final CompletableFuture<Mqtt5PublishResult> a : acks) {
            final var ack = ((Mqtt5PublishResult.Mqtt5Qos1Result) a.get(60, TimeUnit.SECONDS)).getPubAck();
            if (ack.getReasonCode().isError()) {
                throw new IllegalStateException("refused: " + ack);
            }
        }
        final double ms = (System.nanoTime() - started) / 1e6;
        storming.set(false);
        writer.join();
        if (keep) {
            writes.addAll(times);
        }
        return ms;
    }

    /** Sets a one-member config and waits for its result; the time it took. */
    private static double set(final Requester ops, final String service, final int i) throws Exception {
        final long t = System.nanoTime();
        final Requester.Reply reply = ops.send("set", service, "{\"config\": {\"n\": " + i + "}}");
        if (!reply.accepted()) {
            throw new IllegalStateException("not accepted: " + reply.envelope());
        }
        return (System.nanoTime() - t) / 1e6;
    }

    private static List<Mqtt5AsyncClient> connect(final int port) throws Exception {
        final List<Mqtt5AsyncClient> fleet = new ArrayList<>(CLIENTS);
        final List<CompletableFuture<?>> connected = new ArrayList<>(CLIENTS);
        for (int i = 0; i < CLIENTS; i++) {
            final Mqtt5AsyncClient c = Mqtt5Client.builder()
                    .identifier("fleet-" + i)
                    .serverHost("127.0.0.1")
                    .serverPort(port)
                    .buildAsync();
            fleet.add(c);
            connected.add(c.connect());
            if (connected.size() % 100 == 0) {
                CompletableFuture.allOf(connected.toArray(CompletableFuture[]::new))
                        .get(60, TimeUnit.SECONDS);
            }
        }
        CompletableFuture.allOf(connected.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        return fleet;
    }

    private static double[] toArray(final List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
