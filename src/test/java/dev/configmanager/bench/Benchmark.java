package dev.configmanager.bench;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.extension.sdk.api.services.Services;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.H2ConfigStore;
import dev.configmanager.wire.CanonicalJson;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code mvn -Pbench}: the extension's cost and speed beside the bare broker and the disk, measured in one run.
 * Comparisons alternate their two sides (A B A B) so machine noise falls on both. Prints a table and writes
 * target/bench/results.csv and results.md. Never part of the test suite.
 */
public final class Benchmark {

    private static final Path OUT = Path.of("target/bench");
    private static final Path EXTENSION = Path.of("src/hivemq-extension").toAbsolutePath();
    private final Table table = new Table();
    private final Path work;

    private Benchmark(final Path work) {
        this.work = work;
    }

    public static void main(final String[] args) throws Exception {
        final long started = System.nanoTime();
        final Path work = Files.createTempDirectory("config-manager-bench");
        final Benchmark bench = new Benchmark(work);
        System.out.printf("config-manager benchmark, %d cores, %s, Java %s%n", Runtime.getRuntime()
                .availableProcessors(), Instant.now(), System.getProperty("java.version"));
        bench.figure("1 ordinary traffic", bench::ordinaryTraffic);
        bench.figure("2 config round trip", bench::configRoundTrip);
        bench.figure("3 config throughput", bench::configThroughput);
        bench.figure("4 health at scale", bench::healthAtScale);
        bench.figure("5 start-up", bench::startUp);
        bench.table.write(OUT);
        System.out.printf("done in %.1f min; results in %s%n", (System.nanoTime() - started) / 6e10, OUT);
        System.exit(0);
    }

    private interface Figure {
        void run() throws Exception;
    }

    /**
     * One figure failing (a limit of this machine, say) is reported in the table; the others still run. With
     * {@code -Dbench.figures=2,3} only those figures run (for profiling one of them).
     */
    private void figure(final String name, final Figure figure) {
        final String only = System.getProperty("bench.figures");
        if (only != null && !only.isBlank()
                && !java.util.Arrays.asList(only.split(",")).contains(name.substring(0, 1))) {
            return;
        }
        try {
            figure.run();
        } catch (final Exception | Error e) {
            table.add(name, "", "", Double.NaN, "FAILED: " + e);
        }
    }

    // ---- 1. overhead on ordinary traffic ------------------------------------------------------------------------

    private void ordinaryTraffic() throws Exception {
        final List<Double> tputWith = new ArrayList<>();
        final List<Double> tputWithout = new ArrayList<>();
        final List<double[]> latWith = new ArrayList<>();
        final List<double[]> latWithout = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (final boolean with : new boolean[]{false, true}) {
                try (BenchBroker broker = BenchBroker.start(work, with ? EXTENSION : null)) {
                    final double[] latencies = latencies(broker.port, 2_000);
                    final double throughput = throughput(broker.port, 20_000);
                    (with ? tputWith : tputWithout).add(throughput);
                    (with ? latWith : latWithout).add(latencies);
                }
            }
        }
        final Stats tw = Stats.of(tputWith.stream().mapToDouble(Double::doubleValue).toArray());
        final Stats to = Stats.of(tputWithout.stream().mapToDouble(Double::doubleValue).toArray());
        final Stats lw = Stats.of(concat(latWith));
        final Stats lo = Stats.of(concat(latWithout));
        table.add("1 QoS1 throughput, bare broker", "20k msgs", "msg/s", to, "3 rounds");
        table.add("1 QoS1 throughput, with extension", "20k msgs", "msg/s", tw, "3 rounds");
        final double tputRatio = tw.median() / to.median();
        table.add("1 throughput ratio with/without", "", "ratio", tputRatio, verdict(tputRatio >= 0.97, "≥ 0.97"));
        table.add("1 QoS1 pub→sub latency, bare broker", "6k msgs", "ms", lo, "");
        table.add("1 QoS1 pub→sub latency, with extension", "6k msgs", "ms", lw, "");
        final double p99Ratio = lw.p99() / lo.p99();
        table.add("1 p99 latency ratio with/without", "", "ratio", p99Ratio, verdict(p99Ratio <= 1.10, "≤ 1.10"));
    }

    private static double[] latencies(final int port, final int n) throws Exception {
        final Mqtt5BlockingClient sub = client(port, "lat-sub");
        final Mqtt5BlockingClient pub = client(port, "lat-pub");
        final double[] samples = new double[n];
        try (var incoming = sub.publishes(MqttGlobalPublishFilter.ALL)) {
            sub.subscribeWith().topicFilter("bench/latency").qos(MqttQos.AT_LEAST_ONCE).send();
            for (int i = -200; i < n; i++) { // the first 200 warm up
                final long sent = System.nanoTime();
                pub.publishWith().topic("bench/latency").qos(MqttQos.AT_LEAST_ONCE)
                        .payload(ByteBuffer.allocate(8).putLong(0, sent)).send();
                final Mqtt5Publish p = incoming.receive(10, TimeUnit.SECONDS).orElseThrow();
                final long received = System.nanoTime();
                if (i >= 0) {
                    samples[i] = (received - p.getPayload().orElseThrow().getLong(0)) / 1e6;
                }
            }
        } finally {
            sub.disconnect();
            pub.disconnect();
        }
        return samples;
    }

    private static double throughput(final int port, final int n) throws Exception {
        final Mqtt5AsyncClient sub = client(port, "tput-sub").toAsync();
        final Mqtt5AsyncClient pub = client(port, "tput-pub").toAsync();
        final CountDownLatch all = new CountDownLatch(n);
        sub.subscribeWith().topicFilter("bench/tput").qos(MqttQos.AT_LEAST_ONCE).callback(p -> all.countDown())
                .send().get();
        final long started = System.nanoTime();
        for (int i = 0; i < n; i++) {
            pub.publishWith().topic("bench/tput").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[64]).send();
        }
        all.await(120, TimeUnit.SECONDS);
        final double rate = n / ((System.nanoTime() - started) / 1e9);
        sub.disconnect().get();
        pub.disconnect().get();
        return rate;
    }

    // ---- 2. config round trip beside a retained publish and a disk sync -----------------------------------------

    private void configRoundTrip() throws Exception {
        final int n = 1_000;
        final double[] config = new double[n];
        final double[] retained = new double[n];
        final double[] fsync = new double[n];
        try (BenchBroker broker = BenchBroker.start(work, EXTENSION);
             FileChannel disk = FileChannel.open(work.resolve("fsync.bin"), StandardOpenOption.CREATE,
                     StandardOpenOption.WRITE)) {
            final Mqtt5BlockingClient c = client(broker.port, "rt-client");
            try (var incoming = c.publishes(MqttGlobalPublishFilter.ALL)) {
                c.subscribeWith().topicFilter("bench/rt/result").qos(MqttQos.AT_LEAST_ONCE).send();
                c.subscribeWith().topicFilter("config/updated/bench-rt").qos(MqttQos.AT_LEAST_ONCE).send();
                c.subscribeWith().topicFilter("bench/rt/retained").qos(MqttQos.AT_LEAST_ONCE).send();
                drain(incoming);
                for (int i = -100; i < n; i++) { // alternating: config request, retained publish, disk sync
                    long t = System.nanoTime();
                    c.publishWith().topic("config/set/bench-rt").qos(MqttQos.AT_LEAST_ONCE)
                            .responseTopic("bench/rt/result")
                            .payload(("{\"config\":{\"i\":" + i + "}}").getBytes(StandardCharsets.UTF_8)).send();
                    int seen = 0;
                    while (seen < 2) {
                        final String topic = incoming.receive(10, TimeUnit.SECONDS).orElseThrow().getTopic()
                                .toString();
                        seen += topic.equals("bench/rt/result") || topic.equals("config/updated/bench-rt") ? 1 : 0;
                    }
                    final double configMs = (System.nanoTime() - t) / 1e6;
                    t = System.nanoTime();
                    c.publishWith().topic("bench/rt/retained").qos(MqttQos.AT_LEAST_ONCE).retain(true)
                            .payload(new byte[64]).send();
                    incoming.receive(10, TimeUnit.SECONDS).orElseThrow();
                    final double retainedMs = (System.nanoTime() - t) / 1e6;
                    t = System.nanoTime();
                    disk.write(ByteBuffer.allocate(256), 0);
                    disk.force(true);
                    final double fsyncMs = (System.nanoTime() - t) / 1e6;
                    if (i >= 0) {
                        config[i] = configMs;
                        retained[i] = retainedMs;
                        fsync[i] = fsyncMs;
                    }
                }
            } finally {
                c.disconnect();
            }
        }
        final Stats s = Stats.of(config);
        table.add("2 config request → result + config/updated", "1k seq", "ms", s,
                verdict(s.median() <= 3 && s.p99() <= 15, "p50 ≤ 3, p99 ≤ 15"));
        table.add("2 plain retained QoS1 publish round trip", "1k seq", "ms", Stats.of(retained), "same broker");
        table.add("2 one synced disk write (FileChannel.force)", "1k seq", "ms", Stats.of(fsync), "same disk");
    }

    // ---- 3. sustained config throughput vs. the one-commit-one-sync ceiling -------------------------------------

    private void configThroughput() throws Exception {
        final double ceilingBefore = h2Ceiling();
        final int[] sizes = {1, 4, 16, 64};
        final double[] rates = new double[sizes.length];
        try (BenchBroker broker = BenchBroker.start(work, EXTENSION)) {
            for (int k = 0; k < sizes.length; k++) {
                rates[k] = closedLoop(broker.port, sizes[k], 4_000);
            }
        }
        final double ceiling = (ceilingBefore + h2Ceiling()) / 2;
        table.add("3 H2 one commit + one sync per write", "1 writer", "writes/s", ceiling, "ceiling, before+after");
        for (int k = 0; k < sizes.length; k++) {
            final double ratio = rates[k] / ceiling;
            table.add("3 accepted durable config updates", sizes[k] + " requesters", "updates/s", rates[k],
                    String.format(Locale.ROOT, "%.2f× ceiling%s", ratio, sizes[k] >= 16
                            ? " " + verdict(ratio >= 2, "≥ 2×") : ""));
        }
    }

    private double h2Ceiling() throws Exception {
        final Path file = Files.createTempDirectory(work, "h2").resolve("ceiling");
        try (H2ConfigStore store = H2ConfigStore.open(file, 1_000_000)) {
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            long n = 0;
            while (System.nanoTime() < end) {
                final String config = "{\"i\":" + n + "}";
                store.commit(List.of(new ConfigVersion("ceiling", ++n, ConfigVersion.Change.SET, config,
                        CanonicalJson.sha256Hex(config), Instant.now(), "bench", null, ConfigVersion.Origin.MQTT)),
                        List.of());
            }
            return n / 3.0;
        }
    }

    /** {@code requesters} clients, each setting its own service in a closed loop; accepted updates per second. */
    private static double closedLoop(final int port, final int requesters, final long millis) throws Exception {
        final AtomicLong accepted = new AtomicLong();
        final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        final List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < requesters; r++) {
            final String service = "bench-tp-" + requesters + "-" + r;
            final Thread thread = new Thread(() -> {
                final Mqtt5BlockingClient c = client(port, service);
                try (var incoming = c.publishes(MqttGlobalPublishFilter.ALL)) {
                    c.subscribeWith().topicFilter("bench/tp/" + service).qos(MqttQos.AT_LEAST_ONCE).send();
                    int i = 0;
                    while (System.nanoTime() < end) {
                        c.publishWith().topic("config/set/" + service).qos(MqttQos.AT_LEAST_ONCE)
                                .responseTopic("bench/tp/" + service)
                                .payload(("{\"config\":{\"i\":" + (i++) + "}}").getBytes(StandardCharsets.UTF_8))
                                .send();
                        final String answer = new String(incoming.receive(10, TimeUnit.SECONDS).orElseThrow()
                                .getPayloadAsBytes(), StandardCharsets.UTF_8);
                        if (answer.contains("config.accepted") && System.nanoTime() < end) {
                            accepted.incrementAndGet();
                        }
                    }
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    c.disconnect();
                }
            }, "requester-" + r);
            thread.start();
            threads.add(thread);
        }
        for (final Thread t : threads) {
            t.join();
        }
        return accepted.get() / (millis / 1000.0);
    }

    // ---- 4. health at scale --------------------------------------------------------------------------------------

    private void healthAtScale() throws Exception {
        final long maxFiles = ((com.sun.management.UnixOperatingSystemMXBean) ManagementFactory
                .getOperatingSystemMXBean()).getMaxFileDescriptorCount();
        for (final int n : new int[]{1_000, 5_000, 10_000}) {
            if (2L * n + 4_000 > maxFiles) {
                // both ends of every connection live in this JVM
                table.add("4 health at scale", n + " clients", "", Double.NaN, "SKIPPED: needs ulimit -n ≥ "
                        + (2L * n + 4_000) + " (this process has " + maxFiles + ")");
                continue;
            }
            final double[] rate = new double[2];
            final long[] heap = new long[2];
            final double[] cpu = new double[2];
            double healthMs = 0;
            for (final boolean with : new boolean[]{false, true}) {
                try (BenchBroker broker = BenchBroker.start(work, with ? EXTENSION : null)) {
                    final long heapBefore = usedHeap();
                    final List<Mqtt5AsyncClient> clients = new ArrayList<>();
                    final long started = System.nanoTime();
                    for (int from = 0; from < n; from += 250) {
                        final List<CompletableFuture<?>> batch = new ArrayList<>();
                        for (int i = from; i < Math.min(n, from + 250); i++) {
                            final Mqtt5AsyncClient c = Mqtt5Client.builder().identifier("bench-c-" + i)
                                    .serverHost("127.0.0.1").serverPort(broker.port).buildAsync();
                            clients.add(c);
                            batch.add(c.connect());
                        }
                        CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
                    }
                    final double connectSeconds = (System.nanoTime() - started) / 1e9;
                    rate[with ? 1 : 0] = n / connectSeconds;
                    if (with) {
                        while (retainedHealth() < n) {
                            Thread.sleep(20);
                        }
                        healthMs = (System.nanoTime() - started) / 1e6;
                    }
                    heap[with ? 1 : 0] = usedHeap() - heapBefore;
                    cpu[with ? 1 : 0] = cpuShare(10_000);
                    final List<CompletableFuture<?>> gone = new ArrayList<>();
                    clients.forEach(c -> gone.add(c.disconnect()));
                    CompletableFuture.allOf(gone.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
                }
            }
            final String size = n + " clients";
            table.add("4 connect rate, bare broker", size, "conn/s", rate[0], "");
            table.add("4 connect rate, with extension", size, "conn/s", rate[1], "");
            table.add("4 connect-rate ratio with/without", size, "ratio", rate[1] / rate[0],
                    verdict(rate[1] / rate[0] >= 0.90, "≥ 0.90"));
            table.add("4 time until every retained health is present", size, "ms", healthMs, "from first connect");
            final double perClient = (heap[1] - heap[0]) / (double) n;
            table.add("4 extra heap per tracked client", size, "bytes", perClient, verdict(perClient <= 1024,
                    "≤ 1 KiB") + " (noisy: whole-JVM heap after GC)");
            final double keepaliveCpu = (cpu[1] - cpu[0]) * 100;
            table.add("4 extra CPU with clients idle (keepalive)", size, "% core", keepaliveCpu,
                    "10 s window, 10 s interval" + (n == 10_000 ? " " + verdict(keepaliveCpu <= 5, "≤ 5 %") : ""));
        }
    }

    private static int retainedHealth() throws Exception {
        final AtomicInteger n = new AtomicInteger();
        Services.retainedMessageStore().iterateAllRetainedMessages((context, message) -> {
            if (message.getTopic().startsWith("system/health/bench-c-")) {
                n.incrementAndGet();
            }
        }).get(60, TimeUnit.SECONDS);
        return n.get();
    }

    private static long usedHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        final Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    /** The process's CPU use over {@code millis}, in cores. */
    private static double cpuShare(final long millis) throws InterruptedException {
        final var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        final long cpuBefore = os.getProcessCpuTime();
        final long before = System.nanoTime();
        Thread.sleep(millis);
        return (os.getProcessCpuTime() - cpuBefore) / (double) (System.nanoTime() - before);
    }

    // ---- 5. start-up with stored configs -------------------------------------------------------------------------

    private void startUp() throws Exception {
        for (final int n : new int[]{0, 10_000}) {
            final Path home = Files.createDirectories(work.resolve("startup-" + n));
            final Path database = home.resolve("db/config-manager");
            try (H2ConfigStore store = H2ConfigStore.open(database, 1_000_000)) {
                for (int from = 0; from < n; from += 1_000) {
                    final List<ConfigVersion> batch = new ArrayList<>();
                    for (int i = from; i < Math.min(n, from + 1_000); i++) {
                        final String config = "{\"i\":" + i + ",\"name\":\"service number " + i + "\"}";
                        batch.add(new ConfigVersion("svc-" + i, 1, ConfigVersion.Change.SET, config,
                                CanonicalJson.sha256Hex(config), Instant.now(), "seed", null,
                                ConfigVersion.Origin.MQTT));
                    }
                    store.commit(batch, List.of());
                }
            }
            final Path extension = Files.createDirectories(home.resolve("extension/conf"));
            Files.writeString(extension.resolve("config.xml"), "<config-manager><database><path>" + database
                    + "</path></database><console><enabled>false</enabled></console></config-manager>");
            try (BenchBroker broker = BenchBroker.start(work, extension.getParent())) {
                final AtomicInteger present = new AtomicInteger();
                Services.retainedMessageStore().iterateAllRetainedMessages((c, m) -> {
                    if (m.getTopic().startsWith("config/updated/svc-")) {
                        present.incrementAndGet();
                    }
                }).get(60, TimeUnit.SECONDS);
                table.add("5 start until retained config/updated = database", n + " configs", "ms",
                        broker.startMillis, (present.get() == n ? "all " + n + " present at start; " : "ONLY "
                                + present.get() + " present; ") + (n == 10_000 ? verdict(broker.startMillis <= 3000,
                                "≤ 3 s") : "baseline"));
            }
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static Mqtt5BlockingClient client(final int port, final String id) {
        final Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(port)
                .buildBlocking();
        c.connect();
        return c;
    }

    private static void drain(final Mqtt5BlockingClient.Mqtt5Publishes incoming) throws InterruptedException {
        while (incoming.receive(200, TimeUnit.MILLISECONDS).isPresent()) {
            // retained leftovers
        }
    }

    private static double[] concat(final List<double[]> parts) {
        return parts.stream().flatMapToDouble(java.util.Arrays::stream).toArray();
    }

    private static String verdict(final boolean met, final String target) {
        return (met ? "met " : "MISSED ") + target;
    }
}
