package dev.configmanager.bench;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.configmanager.support.TestBroker;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Figure 7: the systems an operator would pick instead, side by side on this machine. "A change reaches a subscriber":
 * our {@code config/set} → {@code config/updated} (durable before it is published), etcd's put (fsync'ed) → watch
 * event, and a plain Mosquitto retained QoS 1 publish (persistence on, not synced per message: the floor of "a message
 * reaches a subscriber"), in rounds that alternate their order, at 18 B and 16 KiB. Then sustained updates per second
 * at 1, 16 and 64 concurrent writers, for us and for etcd. etcd (Debian's etcd-server) is spoken to through its
 * HTTP/JSON gateway with the JDK's HttpClient; a peer that is not installed is skipped with the command that installs
 * it, never faked.
 */
final class PeersFigure {

    private static final Path ETCD = Path.of("/usr/bin/etcd");
    private static final Path MOSQUITTO = Path.of("/usr/sbin/mosquitto");
    private static final String INSTALL = "apt-get install -y etcd-server mosquitto";
    private static final int ROUNDS = 500;
    private static final int WARM_UP = 100;
    private static final long THROUGHPUT_MILLIS = 5_000;
    private static final int SUSTAINED_ROUNDS = 3;
    private static final Base64.Encoder B64 = Base64.getEncoder();

    private PeersFigure() {}

    static void run(final Table table, final Path work, final Path extension) throws Exception {
        installIfMissing();
        final boolean etcd = Files.isExecutable(ETCD);
        final boolean mosquitto = Files.isExecutable(MOSQUITTO);
        if (!etcd || !mosquitto) {
            table.add(
                    "7 peers",
                    "",
                    "",
                    Double.NaN,
                    "SKIPPED for " + (etcd ? "" : "etcd ") + (mosquitto ? "" : "Mosquitto ") + "(not installed: "
                            + INSTALL + ")");
        }
        try (BenchBroker broker = BenchBroker.start(work, extension, true);
                Etcd e = etcd ? Etcd.start(work) : null;
                Mosquitto m = mosquitto ? Mosquitto.start(work) : null) {
            // the broker's JVM compiles its paths for a minute and more under load (etcd and Mosquitto are native):
            // warmed up until its compiler is done, answers at QoS 1 and 0 in turn as the rates take them, so that
            // the rounds measure it as it runs for days
            System.out.println("figure 7: "
                    + JitWarmUp.run(
                            (step, millis) -> Benchmark.closedLoop(
                                    new int[] {broker.port}, 16, millis, Benchmark.answersInTurn(step)),
                            ProcessHandle.current().pid()));
            for (final int bytes : new int[] {18, 16 * 1024}) {
                roundTrips(table, broker, e, m, bytes);
            }
            for (final int writers : new int[] {1, 16, 64}) {
                sustained(table, broker, e, writers);
            }
        }
    }

    /**
     * Three sides per round: ours with each requester's answers at QoS 1 (as figure 3), ours with answers at QoS 0,
     * and etcd; in A B C, C B A, A B C order, each ratio the median of the rounds' own. One 5 s window per side would
     * put the same side first every time, nearer the JIT compiler's leftover work (still up to half a core here a
     * minute into the run), and leave one hiccup to decide a verdict.
     *
     * <p>The requesters' sessions end with their connections (clean start, no expiry), like an etcd client's HTTP
     * connection: an answer lost with the connection is gone at either QoS, as etcd's response is. At QoS 1 HiveMQ CE
     * still writes every answer to the requester's queue on disk (three Xodus transactions) before it sends it; at QoS
     * 0 it sends it at once. So QoS 0 answers are the like-for-like comparison with etcd, and both are shown.
     */
    private static void sustained(
            final Table table, final BenchBroker broker, final @Nullable Etcd e, final int writers) throws Exception {
        final List<Double> qos1 = new ArrayList<>();
        final List<Double> qos0 = new ArrayList<>();
        final List<Double> theirs = new ArrayList<>();
        final List<Double> ratios1 = new ArrayList<>();
        final List<Double> ratios0 = new ArrayList<>();
        final int[] ports = {broker.port};
        for (int round = 0; round < SUSTAINED_ROUNDS; round++) {
            final int[] order = round % 2 == 0 ? new int[] {0, 1, 2} : new int[] {2, 1, 0};
            final double[] rates = {Double.NaN, Double.NaN, Double.NaN};
            for (final int side : order) {
                if (side == 0) {
                    rates[0] = Benchmark.closedLoop(ports, writers, THROUGHPUT_MILLIS, MqttQos.AT_LEAST_ONCE);
                } else if (side == 1) {
                    rates[1] = Benchmark.closedLoop(ports, writers, THROUGHPUT_MILLIS, MqttQos.AT_MOST_ONCE);
                } else if (e != null) {
                    rates[2] = e.closedLoop(writers, THROUGHPUT_MILLIS);
                }
            }
            qos1.add(rates[0]);
            qos0.add(rates[1]);
            if (e != null) {
                theirs.add(rates[2]);
                ratios1.add(rates[0] / rates[2]);
                ratios0.add(rates[1] / rates[2]);
            }
        }
        final String rounds = SUSTAINED_ROUNDS + " rounds of " + THROUGHPUT_MILLIS / 1000 + " s, A B C C B A A B C";
        final String size = writers + " writers";
        table.add(
                "7 sustained updates, config-manager, answers at QoS 1",
                size,
                "updates/s",
                Stats.of(Benchmark.toArray(qos1)),
                e == null ? rounds : versus(ratios1, writers, "; each answer queued on disk by HiveMQ first"));
        table.add(
                "7 sustained updates, config-manager, answers at QoS 0",
                size,
                "updates/s",
                Stats.of(Benchmark.toArray(qos0)),
                e == null ? rounds : versus(ratios0, writers, "; like for like with etcd's response"));
        if (e != null) {
            table.add("7 sustained updates, etcd put", size, "updates/s", Stats.of(Benchmark.toArray(theirs)), rounds);
        }
    }

    private static String versus(final List<Double> ratios, final int writers, final String why) {
        final double ratio = Benchmark.median(ratios);
        return "ours/etcd " + String.format("%.2f", ratio) + " (median of the rounds' ratios)"
                + (writers == 1 ? "" : "; " + Benchmark.verdict(ratio >= 1, "ours ≥ etcd")) + why;
    }

    /** As root with apt-get there, the harness installs what it misses (services are not started by it here). */
    private static void installIfMissing() {
        if (Files.isExecutable(ETCD) && Files.isExecutable(MOSQUITTO)) {
            return;
        }
        if (!"root".equals(System.getProperty("user.name")) || !Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            return;
        }
        try {
            System.out.println("figure 7: installing the peers (" + INSTALL + ")");
            new ProcessBuilder(
                            "sh",
                            "-c",
                            "apt-get update -q && DEBIAN_FRONTEND=noninteractive " + INSTALL
                                    + " --no-install-recommends")
                    .inheritIO()
                    .start()
                    .waitFor(10, TimeUnit.MINUTES);
        } catch (final IOException | InterruptedException e) {
            System.out.println("figure 7: could not install the peers: " + e);
        }
    }

    /** Rounds in A B C C B A order, so that the JVM's warming drift falls on no side. */
    private static void roundTrips(
            final Table table, final BenchBroker broker, final Etcd etcd, final Mosquitto mosquitto, final int bytes)
            throws Exception {
        final List<double[]> samples = List.of(new double[ROUNDS], new double[ROUNDS], new double[ROUNDS]);
        final Mqtt5BlockingClient requester = Benchmark.client(broker.port, "peers-requester");
        final Mqtt5BlockingClient service = Benchmark.client(broker.port, "peers-service");
        final Mqtt5BlockingClient mqPub = mosquitto == null ? null : Benchmark.client(mosquitto.port, "peers-pub");
        final Mqtt5BlockingClient mqSub = mosquitto == null ? null : Benchmark.client(mosquitto.port, "peers-sub");
        try (var updates = service.publishes(MqttGlobalPublishFilter.ALL);
                var mqUpdates = mqSub == null ? null : mqSub.publishes(MqttGlobalPublishFilter.ALL);
                Etcd.Watch watch = etcd == null ? null : etcd.watch("peers/key")) {
            service.subscribeWith()
                    .topicFilter("config/updated/peers")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
            if (mqSub != null) {
                mqSub.subscribeWith()
                        .topicFilter("peers/retained")
                        .qos(MqttQos.AT_LEAST_ONCE)
                        .send();
            }
            drain(updates);
            if (mqUpdates != null) {
                drain(mqUpdates);
            }
            for (int i = -WARM_UP; i < ROUNDS; i++) {
                final int[] order = i % 2 == 0 ? new int[] {0, 1, 2} : new int[] {2, 1, 0};
                for (final int system : order) {
                    final double ms = switch (system) {
                        case 0 -> ours(requester, updates, bytes, i);
                        case 1 -> etcd == null ? Double.NaN : etcd.putToWatch(watch, "peers/key", bytes, i);
                        default -> mosquitto == null ? Double.NaN : retained(mqPub, mqUpdates, bytes, i);
                    };
                    if (i >= 0) {
                        samples.get(system)[i] = ms;
                    }
                }
            }
        } finally {
            requester.disconnect();
            service.disconnect();
            if (mqPub != null) {
                mqPub.disconnect();
                mqSub.disconnect();
            }
        }
        final String size = (bytes < 1024 ? bytes + " B" : bytes / 1024 + " KiB") + " value";
        final Stats ours = Stats.of(samples.get(0));
        table.add(
                "7 config-manager: config/set → config/updated at a subscriber",
                size,
                "ms",
                ours,
                ROUNDS + " rounds, A B C C B A");
        if (etcd != null) {
            final Stats theirs = Stats.of(samples.get(1));
            table.add(
                    "7 etcd 3.4 single node: put (fsync'ed) → watch event",
                    size,
                    "ms",
                    theirs,
                    "ours/etcd p50 " + String.format("%.2f", ours.median() / theirs.median()) + ", p99 "
                            + String.format("%.2f", ours.p99() / theirs.p99()) + "; "
                            + Benchmark.verdict(
                                    ours.median() <= theirs.median() && ours.p99() <= theirs.p99(),
                                    "p50 and p99 ≤ etcd's"));
        }
        if (mosquitto != null) {
            table.add(
                    "7 Mosquitto 2.0 retained QoS 1 (persistence on, not synced per message)",
                    size,
                    "ms",
                    Stats.of(samples.get(2)),
                    "the floor: a message reaches a subscriber");
        }
    }

    private static double ours(
            final Mqtt5BlockingClient requester,
            final Mqtt5BlockingClient.Mqtt5Publishes updates,
            final int bytes,
            final int i)
            throws Exception {
        final String config = "{\"config\":{\"i\":" + i + ",\"v\":\"" + filler(bytes) + "\"}}";
        final long t = System.nanoTime();
        requester
                .publishWith()
                .topic("config/set/peers")
                .qos(MqttQos.AT_LEAST_ONCE)
                .payload(config.getBytes(StandardCharsets.UTF_8))
                .send();
        final String mark = "\"i\":" + i + ",";
        while (true) {
            final Mqtt5Publish p = updates.receive(10, TimeUnit.SECONDS).orElseThrow();
            if (new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8).contains(mark)) {
                return (System.nanoTime() - t) / 1e6;
            }
        }
    }

    private static double retained(
            final Mqtt5BlockingClient pub, final Mqtt5BlockingClient.Mqtt5Publishes sub, final int bytes, final int i)
            throws Exception {
        final byte[] payload = (i + ":" + filler(bytes)).getBytes(StandardCharsets.UTF_8);
        final long t = System.nanoTime();
        pub.publishWith()
                .topic("peers/retained")
                .qos(MqttQos.AT_LEAST_ONCE)
                .retain(true)
                .payload(payload)
                .send();
        final String mark = i + ":";
        while (true) {
            final Mqtt5Publish p = sub.receive(10, TimeUnit.SECONDS).orElseThrow();
            if (new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8).startsWith(mark)) {
                return (System.nanoTime() - t) / 1e6;
            }
        }
    }

    /** About {@code bytes} characters of a value (the rest of the request is a few bytes more). */
    private static String filler(final int bytes) {
        return "x".repeat(Math.max(0, bytes - 16));
    }

    private static void drain(final Mqtt5BlockingClient.Mqtt5Publishes incoming) throws InterruptedException {
        while (incoming.receive(300, TimeUnit.MILLISECONDS).isPresent()) {
            // retained messages from earlier rounds
        }
    }

    /** An etcd single node on free ports, its data in a folder of its own; its log goes to a file. */
    static final class Etcd implements AutoCloseable {
        final int port;
        /** Reads watch streams; daemon threads, so a stream left open never keeps the harness alive. */
        private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
            final Thread t = new Thread(r, "etcd-watch");
            t.setDaemon(true);
            return t;
        });

        private final Process process;
        private final HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();

        private Etcd(final int port, final Process process) {
            this.port = port;
            this.process = process;
        }

        static Etcd start(final Path work) throws Exception {
            final int port = TestBroker.freePort();
            final int peer = TestBroker.freePort();
            final Path dir = Files.createTempDirectory(work, "etcd");
            final Process p = new ProcessBuilder(
                            ETCD.toString(),
                            "--name",
                            "bench",
                            "--data-dir",
                            dir.resolve("data").toString(),
                            "--listen-client-urls",
                            "http://127.0.0.1:" + port,
                            "--advertise-client-urls",
                            "http://127.0.0.1:" + port,
                            "--listen-peer-urls",
                            "http://127.0.0.1:" + peer,
                            "--initial-advertise-peer-urls",
                            "http://127.0.0.1:" + peer,
                            "--initial-cluster",
                            "bench=http://127.0.0.1:" + peer,
                            "--log-level",
                            "warn")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("etcd.log").toFile())
                    .start();
            final Etcd etcd = new Etcd(port, p);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                try {
                    if (etcd.post("/v3/kv/range", "{\"key\":\"" + b64("x") + "\"}")
                                    .statusCode()
                            == 200) {
                        return etcd;
                    }
                } catch (final IOException e) {
                    // not listening yet
                }
                Thread.sleep(100);
            }
            etcd.close();
            throw new IllegalStateException("etcd did not start; see " + dir.resolve("etcd.log"));
        }

        HttpResponse<String> post(final String path, final String json) throws Exception {
            return http.send(request(path, json), HttpResponse.BodyHandlers.ofString());
        }

        private HttpRequest request(final String path, final String json) {
            return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .POST(HttpRequest.BodyPublishers.ofString(json))
                    .header("Content-Type", "application/json")
                    .build();
        }

        /** A watch on {@code key}: each event's arrival time, as the gateway streams them (one JSON per line). */
        final class Watch implements AutoCloseable {
            final BlockingQueue<String> events = new LinkedBlockingQueue<>();
            private final CompletableFuture<HttpResponse<Stream<String>>> response;

            Watch(final String key) throws Exception {
                final CountDownLatch created = new CountDownLatch(1);
                response = http.sendAsync(
                        request("/v3/watch", "{\"create_request\":{\"key\":\"" + b64(key) + "\"}}"),
                        HttpResponse.BodyHandlers.ofLines());
                // read on a thread of its own: a response already complete would otherwise be read to its end (it
                // never ends) on the caller's thread
                response.thenAcceptAsync(
                        r -> r.body().forEach(line -> {
                            if (line.contains("\"created\":true")) {
                                created.countDown();
                            } else if (line.contains("\"events\"")) {
                                events.add(line);
                            }
                        }),
                        READERS);
                if (!created.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the etcd watch was not created");
                }
            }

            @Override
            public void close() {
                response.cancel(true);
            }
        }

        Watch watch(final String key) throws Exception {
            return new Watch(key);
        }

        double putToWatch(final Watch watch, final String key, final int bytes, final int i) throws Exception {
            final String value = b64(i + ":" + filler(bytes));
            final long t = System.nanoTime();
            final HttpResponse<String> put =
                    post("/v3/kv/put", "{\"key\":\"" + b64(key) + "\",\"value\":\"" + value + "\"}");
            if (put.statusCode() != 200) {
                throw new IllegalStateException("etcd put: " + put.statusCode() + " " + put.body());
            }
            final String mark = value.substring(0, 8);
            while (true) {
                final String event = watch.events.poll(10, TimeUnit.SECONDS);
                if (event == null) {
                    throw new IllegalStateException("no etcd watch event");
                }
                if (event.contains(mark)) {
                    return (System.nanoTime() - t) / 1e6;
                }
            }
        }

        /** {@code writers} closed loops of puts, each on its own key, for {@code millis}: puts per second. */
        double closedLoop(final int writers, final long millis) throws Exception {
            final AtomicLong done = new AtomicLong();
            final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            final List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                final String key = b64("peers/tp/" + writers + "/" + w);
                final Thread t = new Thread(() -> {
                    int i = 0;
                    try {
                        while (System.nanoTime() < end) {
                            final HttpResponse<String> r = post(
                                    "/v3/kv/put",
                                    "{\"key\":\"" + key + "\",\"value\":\"" + b64("{\"i\":" + i++ + "}") + "\"}");
                            if (r.statusCode() == 200) {
                                done.incrementAndGet();
                            }
                        }
                    } catch (final Exception e) {
                        System.out.println("figure 7: an etcd writer failed: " + e);
                    }
                });
                threads.add(t);
                t.start();
            }
            for (final Thread t : threads) {
                t.join();
            }
            return done.get() / (millis / 1000.0);
        }

        @Override
        public void close() {
            stop(process);
        }
    }

    /** A Mosquitto broker on a free port with persistence on (saved on its own schedule, not per message). */
    static final class Mosquitto implements AutoCloseable {
        final int port;
        private final Process process;

        private Mosquitto(final int port, final Process process) {
            this.port = port;
            this.process = process;
        }

        static Mosquitto start(final Path work) throws Exception {
            final int port = TestBroker.freePort();
            final Path dir = Files.createTempDirectory(work, "mosquitto");
            final Path conf = dir.resolve("mosquitto.conf");
            Files.writeString(
                    conf,
                    "listener " + port + " 127.0.0.1\nallow_anonymous true\npersistence true\n"
                            + "persistence_location " + dir + "/\n");
            final Process p = new ProcessBuilder(MOSQUITTO.toString(), "-c", conf.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("mosquitto.log").toFile())
                    .start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                try (var s = new java.net.Socket("127.0.0.1", port)) {
                    return new Mosquitto(port, p);
                } catch (final IOException e) {
                    Thread.sleep(50);
                }
            }
            p.destroyForcibly();
            throw new IllegalStateException("mosquitto did not start; see " + dir.resolve("mosquitto.log"));
        }

        @Override
        public void close() {
            stop(process);
        }
    }

    /** Asks a peer to stop, and makes it stop if it has not after 10 s. */
    private static void stop(final Process process) {
        process.destroy();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroyForcibly();
    }

    private static String b64(final String s) {
        return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
