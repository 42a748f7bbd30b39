package dev.configmanager.bench;

import com.codahale.metrics.Timer;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.extension.sdk.api.services.Services;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.H2ConfigStore;
import dev.configmanager.store.SqlConfigStore;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.RequestOrigin;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
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
    private static final int ORDINARY_ROUNDS = 6;
    private static final long THROUGHPUT_MILLIS = 5_000;
    private static final int ROUNDS_AT_SCALE = 3;
    /** Figure 2's request sizes: a one-member config, then 16 and 128 KiB (the request limit is 256 KiB). */
    private static final int[] ROUND_TRIP_KIB = {0, 16, 128};

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
        System.out.printf(
                "config-manager benchmark, %d cores, %s, Java %s%n",
                Runtime.getRuntime().availableProcessors(), Instant.now(), System.getProperty("java.version"));
        bench.figure("1 ordinary traffic", bench::ordinaryTraffic);
        bench.figure("2 config round trip", bench::configRoundTrip);
        bench.figure("3 config throughput", bench::configThroughput);
        bench.figure("4 health at scale", bench::healthAtScale);
        bench.figure("5 start-up", bench::startUp);
        bench.figure("6 shared database", () -> SharedStoreFigure.run(bench.table, work));
        bench.figure("7 peers", () -> PeersFigure.run(bench.table, work, EXTENSION));
        bench.figure("8 reports", () -> ReportsFigure.run(bench.table, work, EXTENSION));
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
        if (only != null
                && !only.isBlank()
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

    /**
     * Rounds run in A B B A order and the throughput ratio is the median of each round's own ratio: this JVM keeps
     * getting faster as the JIT compiles more of the broker, and a fixed order would hand that drift to one side.
     * One round before the measured ones warms the JVM up. Run with HiveMQ's file persistence (the broker as
     * shipped) and with in-memory persistence, where the broker is fastest and the extension's share largest.
     */
    private void ordinaryTraffic() throws Exception {
        ordinaryTraffic(true, "file persistence");
        ordinaryTraffic(false, "in-memory persistence");
    }

    private void ordinaryTraffic(final boolean filePersistence, final String mode) throws Exception {
        final List<Double> tputWith = new ArrayList<>();
        final List<Double> tputWithout = new ArrayList<>();
        final List<Double> ratios = new ArrayList<>();
        int incomplete = 0;
        final List<double[]> latWith = new ArrayList<>();
        final List<double[]> latWithout = new ArrayList<>();
        for (int round = -1; round < ORDINARY_ROUNDS; round++) {
            final double[] pair = new double[2];
            for (final boolean with : round % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                try (BenchBroker broker = BenchBroker.start(work, with ? EXTENSION : null, filePersistence)) {
                    throughput(broker.port, 5_000); // a fresh broker's first messages take its slow paths
                    final double[] latencies = latencies(broker.port, 2_000);
                    pair[with ? 1 : 0] = throughput(broker.port, 20_000);
                    if (round >= 0) {
                        (with ? latWith : latWithout).add(latencies);
                    }
                }
            }
            if (round >= 0 && (Double.isNaN(pair[0]) || Double.isNaN(pair[1]))) {
                incomplete++;
            } else if (round >= 0) {
                tputWithout.add(pair[0]);
                tputWith.add(pair[1]);
                ratios.add(pair[1] / pair[0]);
            }
        }
        final Stats lw = Stats.of(concat(latWith));
        final Stats lo = Stats.of(concat(latWithout));
        final String rounds = ratios.size() + " rounds, A B B A"
                + (incomplete > 0
                        ? "; " + incomplete + " round(s) left out: not every message arrived within 30 s"
                        : "");
        final String size = "20k msgs, " + mode;
        table.add("1 QoS1 throughput, bare broker", size, "msg/s", Stats.of(toArray(tputWithout)), rounds);
        table.add("1 QoS1 throughput, with extension", size, "msg/s", Stats.of(toArray(tputWith)), rounds);
        final Stats ratio = Stats.of(toArray(ratios));
        table.add(
                "1 throughput ratio with/without",
                mode,
                "ratio",
                ratio,
                verdict(ratio.median() >= 0.97, "≥ 0.97") + " (median of the rounds' ratios)");
        final String latencySize = ORDINARY_ROUNDS * 2 + "k msgs, " + mode;
        table.add("1 QoS1 pub→sub latency, bare broker", latencySize, "ms", lo, "");
        table.add("1 QoS1 pub→sub latency, with extension", latencySize, "ms", lw, "");
        final double p99Ratio = lw.p99() / lo.p99();
        table.add("1 p99 latency ratio with/without", mode, "ratio", p99Ratio, verdict(p99Ratio <= 1.10, "≤ 1.10"));
    }

    private static double[] latencies(final int port, final int n) throws Exception {
        final Mqtt5BlockingClient sub = client(port, "lat-sub");
        final Mqtt5BlockingClient pub = client(port, "lat-pub");
        final double[] samples = new double[n];
        try (var incoming = sub.publishes(MqttGlobalPublishFilter.ALL)) {
            sub.subscribeWith()
                    .topicFilter("bench/latency")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
            for (int i = -200; i < n; i++) { // the first 200 warm up
                final long sent = System.nanoTime();
                pub.publishWith()
                        .topic("bench/latency")
                        .qos(MqttQos.AT_LEAST_ONCE)
                        .payload(ByteBuffer.allocate(8).putLong(0, sent))
                        .send();
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
        sub.subscribeWith()
                .topicFilter("bench/tput")
                .qos(MqttQos.AT_LEAST_ONCE)
                .callback(p -> all.countDown())
                .send()
                .get();
        final long started = System.nanoTime();
        for (int i = 0; i < n; i++) {
            pub.publishWith()
                    .topic("bench/tput")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .payload(new byte[64])
                    .send();
        }
        final boolean complete = all.await(30, TimeUnit.SECONDS);
        final double rate = n / ((System.nanoTime() - started) / 1e9);
        sub.disconnect().get();
        pub.disconnect().get();
        return complete ? rate : Double.NaN; // a round that lost messages measures nothing
    }

    // ---- 2. config round trip beside a retained publish and a disk sync -----------------------------------------

    /** On the broker as shipped (file persistence) and with in-memory persistence, as figure 1. */
    private void configRoundTrip() throws Exception {
        configRoundTrip(true, "file persistence");
        configRoundTrip(false, "in-memory persistence");
    }

    private void configRoundTrip(final boolean filePersistence, final String mode) throws Exception {
        try (BenchBroker broker = BenchBroker.start(work, EXTENSION, filePersistence);
                FileChannel disk = FileChannel.open(
                        work.resolve("fsync.bin"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            final Mqtt5BlockingClient c = client(broker.port, "rt-client");
            try (var incoming = c.publishes(MqttGlobalPublishFilter.ALL)) {
                c.subscribeWith()
                        .topicFilter("bench/rt/result")
                        .qos(MqttQos.AT_LEAST_ONCE)
                        .send();
                c.subscribeWith()
                        .topicFilter("config/updated/bench-rt")
                        .qos(MqttQos.AT_LEAST_ONCE)
                        .send();
                c.subscribeWith()
                        .topicFilter("bench/rt/retained")
                        .qos(MqttQos.AT_LEAST_ONCE)
                        .send();
                drain(incoming);
                for (final int kib : ROUND_TRIP_KIB) {
                    roundTrips(c, incoming, disk, kib, kib == ROUND_TRIP_KIB[0] ? 1_000 : 300, mode);
                }
            } finally {
                c.disconnect();
            }
        }
    }

    /**
     * {@code n} times in turn: a config request of about {@code kib} KiB, a plain retained publish of the same size,
     * and a synced write of the same size. The target is judged at the smallest size; the larger ones show how the
     * cost grows with the config.
     */
    private void roundTrips(
            final Mqtt5BlockingClient c,
            final Mqtt5BlockingClient.Mqtt5Publishes incoming,
            final FileChannel disk,
            final int kib,
            final int n,
            final String mode)
            throws Exception {
        final double[] config = new double[n];
        final double[] retained = new double[n];
        final double[] fsync = new double[n];
        final int warmUp = 100;
        for (int i = -warmUp; i < n; i++) {
            final byte[] request = configRequest(kib, i);
            long t = System.nanoTime();
            c.publishWith()
                    .topic("config/set/bench-rt")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .responseTopic("bench/rt/result")
                    .payload(request)
                    .send();
            int seen = 0;
            while (seen < 2) {
                final String topic = incoming.receive(10, TimeUnit.SECONDS)
                        .orElseThrow()
                        .getTopic()
                        .toString();
                seen += topic.equals("bench/rt/result") || topic.equals("config/updated/bench-rt") ? 1 : 0;
            }
            final double configMs = (System.nanoTime() - t) / 1e6;
            t = System.nanoTime();
            c.publishWith()
                    .topic("bench/rt/retained")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .retain(true)
                    .payload(new byte[request.length])
                    .send();
            incoming.receive(10, TimeUnit.SECONDS).orElseThrow();
            final double retainedMs = (System.nanoTime() - t) / 1e6;
            t = System.nanoTime();
            disk.write(ByteBuffer.allocate(request.length), 0);
            disk.force(true);
            final double fsyncMs = (System.nanoTime() - t) / 1e6;
            if (i >= 0) {
                config[i] = configMs;
                retained[i] = retainedMs;
                fsync[i] = fsyncMs;
            }
        }
        final Stats s = Stats.of(config);
        final int bytes = configRequest(kib, 0).length;
        final String size = (bytes < 1024 ? bytes + " B" : Math.round(bytes / 1024.0) + " KiB") + " request, " + mode;
        table.add(
                "2 config request → result + config/updated",
                size,
                "ms",
                s,
                n + " in sequence; "
                        + (kib == ROUND_TRIP_KIB[0]
                                ? verdict(s.median() <= 3 && s.p99() <= 15, "p50 ≤ 3, p99 ≤ 15")
                                : "growth with the config's size"));
        table.add(
                "2 plain retained QoS1 publish round trip",
                size,
                "ms",
                Stats.of(retained),
                "same broker, same payload size");
        table.add("2 one synced disk write (FileChannel.force)", size, "ms", Stats.of(fsync), "same disk, same size");
    }

    /** A set request whose config is about {@code kib} KiB of 60-byte members (0: a one-member config). */
    private static byte[] configRequest(final int kib, final int i) {
        final StringBuilder json = new StringBuilder("{\"config\":{\"i\":").append(i);
        final String value = "v".repeat(44);
        for (int k = 0; json.length() < kib * 1024; k++) { // no String.format: it showed in the profile
            json.append(",\"key-")
                    .append(Integer.toString(100_000 + k), 1, 6)
                    .append("\":\"")
                    .append(value)
                    .append('"');
        }
        return json.append("}}").toString().getBytes(StandardCharsets.UTF_8);
    }

    // ---- 3. sustained config throughput vs. the one-commit-one-sync ceiling -------------------------------------

    /** On the broker as shipped (file persistence) and with in-memory persistence, as figure 1. */
    private void configThroughput() throws Exception {
        configThroughput(true, "file persistence");
        configThroughput(false, "in-memory persistence");
    }

    private void configThroughput(final boolean filePersistence, final String mode) throws Exception {
        final double ceilingBefore = h2Ceiling();
        final int[] sizes = {1, 4, 16, 64};
        final double[] rates = new double[sizes.length];
        final double[] perCommit = new double[sizes.length];
        final double[] cores = new double[sizes.length];
        final var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        final long databaseBytes;
        long updates = 0;
        try (BenchBroker broker = BenchBroker.start(work, EXTENSION, filePersistence)) {
            // the JIT compiles the broker's paths for a minute and more under load: measured once it is done
            System.out.println("figure 3, " + mode + ": "
                    + JitWarmUp.run(
                            (step, millis) -> closedLoop(broker.port, 64, millis),
                            ProcessHandle.current().pid()));
            final Timer commits = Services.metricRegistry().timer("dev.configmanager.store.commit");
            for (int k = 0; k < sizes.length; k++) {
                final long commitsBefore = commits.getCount();
                final long cpuBefore = os.getProcessCpuTime();
                rates[k] = closedLoop(broker.port, sizes[k], THROUGHPUT_MILLIS);
                cores[k] = (os.getProcessCpuTime() - cpuBefore) / (THROUGHPUT_MILLIS * 1e6);
                perCommit[k] = rates[k] * THROUGHPUT_MILLIS / 1000 / Math.max(1, commits.getCount() - commitsBefore);
            }
            updates = commits.getCount();
            databaseBytes = configDatabaseBytes(broker.home);
        }
        final double ceiling = (ceilingBefore + h2Ceiling()) / 2;
        table.add(
                "3 H2 one commit + one sync per update",
                "1 writer, " + mode,
                "updates/s",
                ceiling,
                "ceiling: version + audit line per commit, before+after");
        table.add(
                "3 config database file after the run",
                updates + " commits, " + mode,
                "MB",
                databaseBytes / 1e6,
                "H2 file (with its journal), before the broker stops");
        for (int k = 0; k < sizes.length; k++) {
            final double ratio = rates[k] / ceiling;
            table.add(
                    "3 accepted durable config updates",
                    sizes[k] + " requesters, " + mode,
                    "updates/s",
                    rates[k],
                    String.format(
                            Locale.ROOT,
                            "%.3f× ceiling; %.1f per commit; JVM CPU %.2f cores%s",
                            ratio,
                            perCommit[k],
                            cores[k],
                            sizes[k] >= 16 ? " " + verdict(ratio >= 2, "≥ 2×") : ""));
        }
    }

    /** The config database's files under a broker's home: H2's {@code .mv.db} and the journal beside it. */
    private static long configDatabaseBytes(final Path brokerHome) throws Exception {
        try (var files = Files.walk(brokerHome)) {
            long bytes = 0;
            for (final Path p : files.filter(
                            p -> p.toString().endsWith(".mv.db") || p.toString().endsWith(".journal"))
                    .toList()) {
                bytes += Files.size(p);
            }
            return bytes;
        }
    }

    /**
     * Accepted updates per second when each one is its own transaction and its own H2 sync: the rows the pipeline
     * writes for one accepted update (the version, the current config, the audit line) on the store's own schema,
     * committed with {@code CHECKPOINT SYNC}. Plain JDBC, past the store's journal: this is H2's one-commit-one-sync.
     */
    private double h2Ceiling() throws Exception {
        final Path file = Files.createTempDirectory(work, "h2").resolve("ceiling");
        H2ConfigStore.open(file, 1_000_000).close(); // the schema
        try (Connection c = new org.h2.Driver().connect(H2ConfigStore.url(file), new Properties());
                PreparedStatement history = c.prepareStatement("INSERT INTO cm_history (service, version, change_kind, "
                        + "config, checksum, updated_at, updated_by, request_id, origin) VALUES (?, ?, 'SET', ?, ?, ?, "
                        + "'bench', ?, 'MQTT')");
                PreparedStatement current = c.prepareStatement("MERGE INTO cm_current (service, version, change_kind, "
                        + "config, checksum, updated_at, updated_by, request_id, origin) KEY (service) VALUES (?, ?, "
                        + "'SET', ?, ?, ?, 'bench', ?, 'MQTT')");
                PreparedStatement audit = c.prepareStatement("INSERT INTO cm_audit (at, service, action, origin, "
                        + "requester, request_id, outcome, version) "
                        + "VALUES (?, ?, 'set', 'MQTT', 'bench', ?, 'accepted', ?)");
                Statement sync = c.createStatement()) {
            c.setAutoCommit(false);
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            long n = 0;
            while (System.nanoTime() < end) {
                final String config = "{\"i\":" + n + "}";
                final String service = "ceiling-" + (n % 16);
                final String requestId = Long.toString(++n);
                final Timestamp now = Timestamp.from(Instant.now());
                for (final PreparedStatement row : List.of(history, current)) {
                    row.setString(1, service);
                    row.setLong(2, n);
                    row.setString(3, config);
                    row.setString(4, CanonicalJson.sha256Hex(config));
                    row.setTimestamp(5, now);
                    row.setString(6, requestId);
                    row.executeUpdate();
                }
                audit.setTimestamp(1, now);
                audit.setString(2, service);
                audit.setString(3, requestId);
                audit.setLong(4, n);
                audit.executeUpdate();
                c.commit();
                sync.execute("CHECKPOINT SYNC");
            }
            return n / 3.0;
        }
    }

    /**
     * {@code requesters} clients, each setting its own service in a closed loop (the next request is sent when the
     * answer to the previous one arrives); accepted updates per second. Callbacks, not a thread per requester, so
     * the clients take as little of the machine's two cores as they can.
     */
    private static double closedLoop(final int port, final int requesters, final long millis) throws Exception {
        return closedLoop(new int[] {port}, requesters, millis);
    }

    /** Requester {@code r} on broker {@code ports[r % ports.length]}: spread over brokers sharing a database. */
    static double closedLoop(final int[] ports, final int requesters, final long millis) throws Exception {
        return closedLoop(ports, requesters, millis, MqttQos.AT_LEAST_ONCE);
    }

    /** Answers at QoS 1 and QoS 0 in turn, step by step: a warm-up that compiles both ways of delivering them. */
    static MqttQos answersInTurn(final int step) {
        return step % 2 == 0 ? MqttQos.AT_LEAST_ONCE : MqttQos.AT_MOST_ONCE;
    }

    /**
     * As above, each requester subscribed to its answers at {@code answers}: at QoS 1 HiveMQ puts every answer in the
     * requester's client queue (on disk with file persistence) before sending it, at QoS 0 it sends it at once.
     */
    static double closedLoop(final int[] ports, final int requesters, final long millis, final MqttQos answers)
            throws Exception {
        return closedLoop(ports, requesters, millis, answers, null);
    }

    /** As above, with {@code cpu} (if not null) measuring the machine from the first request until the last answer. */
    static double closedLoop(
            final int[] ports, final int requesters, final long millis, final MqttQos answers, final MachineCpu cpu)
            throws Exception {
        final AtomicLong accepted = new AtomicLong();
        final List<Mqtt5AsyncClient> clients = new ArrayList<>();
        final List<Runnable> first = new ArrayList<>();
        final AtomicLong end = new AtomicLong(Long.MAX_VALUE);
        final CountDownLatch finished = new CountDownLatch(requesters);
        for (int r = 0; r < requesters; r++) {
            final String service = "bench-tp-" + requesters + "-" + r;
            final Mqtt5AsyncClient c = client(ports[r % ports.length], service).toAsync();
            clients.add(c);
            final AtomicInteger i = new AtomicInteger();
            final Runnable next = () -> c.publishWith()
                    .topic("config/set/" + service)
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .responseTopic("bench/tp/" + service)
                    .payload(("{\"config\":{\"i\":" + i.incrementAndGet() + "}}").getBytes(StandardCharsets.UTF_8))
                    .send();
            c.subscribeWith()
                    .topicFilter("bench/tp/" + service)
                    .qos(answers)
                    .callback(answer -> {
                        if (System.nanoTime() >= end.get()) {
                            finished.countDown();
                            return;
                        }
                        if (new String(answer.getPayloadAsBytes(), StandardCharsets.UTF_8)
                                .contains("config.accepted")) {
                            accepted.incrementAndGet();
                        }
                        next.run();
                    })
                    .send()
                    .get(10, TimeUnit.SECONDS);
            first.add(next);
        }
        if (cpu != null) {
            cpu.start();
        }
        end.set(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis));
        first.forEach(Runnable::run);
        if (!finished.await(millis + 30_000, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("requesters did not finish");
        }
        if (cpu != null) {
            cpu.stop();
        }
        for (final Mqtt5AsyncClient c : clients) {
            c.disconnect().get(10, TimeUnit.SECONDS);
        }
        return accepted.get() / (millis / 1000.0);
    }

    // ---- 4. health at scale --------------------------------------------------------------------------------------

    /**
     * The clients live in a child JVM ({@link ClientFleet}): 10,000 connections need more file descriptors than one
     * process may hold for both ends, and the broker's heap and CPU are then measured without the clients' own.
     * Rounds run in A B B A order and the connect-rate ratio is the median of each round's own ratio (see figure 1).
     */
    private void healthAtScale() throws Exception {
        try (ClientFleet fleet = ClientFleet.start()) {
            // Both brokers run in this JVM and share its compiled code: each step churns connects of 1,000 clients
            // on a bare broker, then on one with the extension, until in one step (both kinds) the JIT compilers of
            // this JVM and the fleet's are done. A few thousand connects (as before) left them compiling through
            // the first rounds.
            final String warmedUp;
            try (BenchBroker bare = BenchBroker.start(work, null);
                    BenchBroker with = BenchBroker.start(work, EXTENSION)) {
                warmedUp = JitWarmUp.run(
                        (step, millis) -> {
                            churn(fleet, bare, millis / 2);
                            churn(fleet, with, millis / 2);
                        },
                        ProcessHandle.current().pid(),
                        fleet.pid());
            }
            System.out.println("figure 4: " + warmedUp);
            for (final int n : new int[] {1_000, 5_000, 10_000}) {
                final List<Double> rate = new ArrayList<>();
                final List<Double> rateBare = new ArrayList<>();
                final List<Double> healthMs = new ArrayList<>();
                final List<Double> heap = new ArrayList<>();
                final List<Double> heapBare = new ArrayList<>();
                final List<Double> cpu = new ArrayList<>();
                final List<Double> cpuBare = new ArrayList<>();
                final List<Double> ratios = new ArrayList<>();
                final AtomicInteger quietCaps = new AtomicInteger();
                final Overflows overflows = new Overflows();
                final List<Double> drain = new ArrayList<>();
                final List<Double> drainBare = new ArrayList<>();
                for (int round = 0; round < ROUNDS_AT_SCALE; round++) {
                    final double[] pair = new double[2];
                    for (final boolean with :
                            round % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                        try (BenchBroker broker = BenchBroker.start(work, with ? EXTENSION : null)) {
                            // a fresh broker's first connects fill its caches and pools: warm both sides alike
                            fleet.connect(broker.port, 1_000, "warm-up-");
                            fleet.disconnect();
                            untilQuiet(quietCaps);
                            final long heapBefore = usedHeap();
                            final long started = System.nanoTime();
                            final List<Double> samples = new ArrayList<>();
                            samples.add(overflows.during(() -> n / (fleet.connect(broker.port, n, "bench-c-") / 1000)));
                            if (with) {
                                while (retainedHealth() < n) {
                                    Thread.sleep(10);
                                }
                                healthMs.add((System.nanoTime() - started) / 1e6);
                            }
                            (with ? heap : heapBare).add((double) (usedHeap() - heapBefore));
                            (with ? cpu : cpuBare).add(threadCpuShare(10_000));
                            fleet.disconnect();
                            (with ? drain : drainBare).add(untilQuiet(quietCaps));
                            // more connect-rate samples on the same broker, new client ids each time: one hiccup
                            // (a collection, a burst of compilation) then moves the broker's median, not its rate
                            for (int k = 1; k < connectSamples(n); k++) {
                                final String prefix = "bench-c" + k + "-";
                                samples.add(overflows.during(() -> n / (fleet.connect(broker.port, n, prefix) / 1000)));
                                fleet.disconnect();
                                (with ? drain : drainBare).add(untilQuiet(quietCaps));
                            }
                            pair[with ? 1 : 0] = median(samples);
                            (with ? rate : rateBare).add(pair[with ? 1 : 0]);
                        }
                    }
                    ratios.add(pair[1] / pair[0]);
                }
                final String size = n + " clients";
                final String rounds = ROUNDS_AT_SCALE + " rounds, A B B A, after a JIT warm-up and 1,000 warm-up "
                        + "connects; each the median of " + connectSamples(n) + " connects of " + n + " from a quiet "
                        + "broker; accept-queue overflows during them: " + overflows.text()
                        + (quietCaps.get() > 0 ? "; " + quietCaps.get() + " quiet waits ended at the 60 s cap" : "");
                table.add("4 connect rate, bare broker", size, "conn/s", Stats.of(toArray(rateBare)), rounds);
                table.add("4 connect rate, with extension", size, "conn/s", Stats.of(toArray(rate)), rounds);
                final Stats ratio = Stats.of(toArray(ratios));
                table.add(
                        "4 connect-rate ratio with/without",
                        size,
                        "ratio",
                        ratio,
                        (overflows.count() > 0
                                        ? "NO VERDICT: connects were dropped by the kernel and retried after 1 s"
                                        : verdict(ratio.median() >= 0.90, "≥ 0.90"))
                                + " (median of the rounds' ratios)");
                table.add(
                        "4 busy after the fleet disconnects, bare broker",
                        size,
                        "ms",
                        Stats.of(toArray(drainBare)),
                        "until the broker's threads use < 5 % of a core in two 100 ms windows in a row; each connect "
                                + "sample starts there, so the ratio leaves this work out");
                table.add(
                        "4 busy after the fleet disconnects, with extension",
                        size,
                        "ms",
                        Stats.of(toArray(drain)),
                        "the same; with the extension it includes every client's retained disconnect health");
                table.add(
                        "4 time until every retained health is present",
                        size,
                        "ms",
                        Stats.of(toArray(healthMs)),
                        "from first CONNECT");
                final double perClient = (median(heap) - median(heapBare)) / n;
                // judged at 10,000 clients: at 1,000 the whole difference (~1 MB) is within the heap's own noise
                table.add(
                        "4 extra heap per tracked client",
                        size,
                        "bytes",
                        perClient,
                        "broker JVM heap after GC, with " + "minus without"
                                + (n == 10_000 ? "; " + verdict(perClient <= 1024, "≤ 1 KiB") : ""));
                final double keepaliveCpu = (median(cpu) - median(cpuBare)) * 100;
                table.add(
                        "4 extra CPU with clients idle (keepalive)",
                        size,
                        "% core",
                        keepaliveCpu,
                        "broker JVM's threads, 10 s window, 10 s interval"
                                + (n == 10_000 ? "; " + verdict(keepaliveCpu <= 5, "≤ 5 %") : ""));
            }
        }
    }

    /** Connects and disconnects 1,000 clients on {@code broker} again and again for about {@code millis}. */
    private static void churn(final ClientFleet fleet, final BenchBroker broker, final long millis) throws Exception {
        final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (int k = 0; System.nanoTime() < end; k++) {
            fleet.connect(broker.port, 1_000, "warm-up-" + k + "-");
            fleet.disconnect();
        }
    }

    /**
     * Waits until the broker JVM's threads use less than 5 % of a core in two 100 ms windows in a row (at most a
     * minute; {@code caps} counts the waits that hit it), and returns how long that took, from 200 ms up. A connect
     * sample taken straight after the fleet's disconnect measured that disconnect's leftover work too (session
     * removals; with the extension also every client's retained disconnect health), and each sample more or less of
     * it; it is shown in a row of its own instead.
     */
    private static double untilQuiet(final AtomicInteger caps) throws InterruptedException {
        final long started = System.nanoTime();
        final long cap = started + TimeUnit.SECONDS.toNanos(60);
        int quiet = 0;
        while (quiet < 2) {
            if (System.nanoTime() >= cap) {
                caps.incrementAndGet();
                break;
            }
            quiet = threadCpuShare(100) < 0.05 ? quiet + 1 : 0;
        }
        return (System.nanoTime() - started) / 1e6;
    }

    /**
     * Connections the kernel dropped because a listen socket's accept queue was full, counted around each connect
     * sample only. Each such drop costs the client a 1 s retransmission, which would be measured as the broker's
     * connect rate.
     */
    private static final class Overflows {
        private long count;
        private boolean readable = true;

        double during(final Callable<Double> sample) throws Exception {
            final long before = listenOverflows();
            final double value = sample.call();
            final long after = listenOverflows();
            if (before < 0 || after < 0) {
                readable = false;
            } else {
                count += after - before;
            }
            return value;
        }

        long count() {
            return readable ? count : 0;
        }

        String text() {
            return readable ? Long.toString(count) : "not readable here";
        }
    }

    /** The kernel's TcpExt ListenOverflows (machine-wide), or -1 where it cannot be read. */
    private static long listenOverflows() {
        try {
            final List<String> lines = Files.readAllLines(Path.of("/proc/net/netstat"));
            for (int i = 0; i + 1 < lines.size(); i += 2) {
                final String[] names = lines.get(i).split("\\s+");
                final String[] values = lines.get(i + 1).split("\\s+");
                if (!names[0].equals("TcpExt:") || names.length != values.length) {
                    continue;
                }
                for (int k = 1; k < names.length; k++) {
                    if (names[k].equals("ListenOverflows")) {
                        return Long.parseLong(values[k]);
                    }
                }
            }
        } catch (final java.io.IOException | RuntimeException e) {
            // not Linux, or not readable: reported as such
        }
        return -1;
    }

    /** Connect-rate samples per broker: more where a sample is short (1,000 connects take a third of a second). */
    private static int connectSamples(final int clients) {
        return clients <= 1_000 ? 5 : clients <= 5_000 ? 3 : 2;
    }

    private static int retainedHealth() throws Exception {
        final AtomicInteger n = new AtomicInteger();
        Services.retainedMessageStore()
                .iterateAllRetainedMessages((context, message) -> {
                    if (message.getTopic().startsWith("system/health/bench-c-")) {
                        n.incrementAndGet();
                    }
                })
                .get(60, TimeUnit.SECONDS);
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

    /**
     * CPU used by this JVM's threads over {@code millis}, in cores. Counts the broker's and the extension's threads
     * but not the JIT compiler's or the collector's, whose background work outweighs an idle broker's.
     */
    private static double threadCpuShare(final long millis) throws InterruptedException {
        final var threads = ManagementFactory.getThreadMXBean();
        final java.util.Map<Long, Long> before = new java.util.HashMap<>();
        for (final long id : threads.getAllThreadIds()) {
            before.put(id, Math.max(0, threads.getThreadCpuTime(id)));
        }
        final long started = System.nanoTime();
        Thread.sleep(millis);
        long used = 0;
        for (final long id : threads.getAllThreadIds()) {
            final long now = threads.getThreadCpuTime(id);
            if (now >= 0) {
                used += now - before.getOrDefault(id, 0L);
            }
        }
        return used / (double) (System.nanoTime() - started);
    }

    // ---- 5. start-up with stored configs -------------------------------------------------------------------------

    private void startUp() throws Exception {
        for (final int n : new int[] {0, 10_000}) {
            final Path home = Files.createDirectories(work.resolve("startup-" + n));
            final Path database = home.resolve("db/config-manager");
            try (SqlConfigStore store = H2ConfigStore.open(database, 1_000_000)) {
                for (int from = 0; from < n; from += 1_000) {
                    final List<ConfigVersion> batch = new ArrayList<>();
                    for (int i = from; i < Math.min(n, from + 1_000); i++) {
                        final String config = "{\"i\":" + i + ",\"name\":\"service number " + i + "\"}";
                        batch.add(new ConfigVersion(
                                "svc-" + i,
                                1,
                                ConfigVersion.Change.SET,
                                config,
                                CanonicalJson.sha256Hex(config),
                                Instant.now(),
                                "seed",
                                null,
                                RequestOrigin.MQTT));
                    }
                    store.commit(batch, List.of());
                }
            }
            final Path extension = Files.createDirectories(home.resolve("extension/conf"));
            Files.writeString(
                    extension.resolve("config.xml"),
                    "<config-manager><database><path>" + database
                            + "</path></database><console><enabled>false</enabled></console></config-manager>");
            try (BenchBroker broker = BenchBroker.start(work, extension.getParent())) {
                final AtomicInteger present = new AtomicInteger();
                Services.retainedMessageStore()
                        .iterateAllRetainedMessages((c, m) -> {
                            if (m.getTopic().startsWith("config/updated/svc-")) {
                                present.incrementAndGet();
                            }
                        })
                        .get(60, TimeUnit.SECONDS);
                table.add(
                        "5 start until retained config/updated = database",
                        n + " configs",
                        "ms",
                        broker.startMillis,
                        (present.get() == n
                                        ? "all " + n + " present at start; "
                                        : "ONLY " + present.get() + " present; ")
                                + (n == 10_000 ? verdict(broker.startMillis <= 3000, "≤ 3 s") : "baseline"));
            }
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    static Mqtt5BlockingClient client(final int port, final String id) {
        final Mqtt5BlockingClient c = Mqtt5Client.builder()
                .identifier(id)
                .serverHost("127.0.0.1")
                .serverPort(port)
                .buildBlocking();
        c.connect();
        return c;
    }

    static void drain(final Mqtt5BlockingClient.Mqtt5Publishes incoming) throws InterruptedException {
        while (incoming.receive(200, TimeUnit.MILLISECONDS).isPresent()) {
            // retained leftovers
        }
    }

    static double median(final List<Double> values) {
        return Stats.of(toArray(values)).median();
    }

    static double[] toArray(final List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double[] concat(final List<double[]> parts) {
        return parts.stream().flatMapToDouble(java.util.Arrays::stream).toArray();
    }

    static String verdict(final boolean met, final String target) {
        return (met ? "met " : "MISSED ") + target;
    }
}
