package dev.configmanager.bench;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import dev.configmanager.support.ChildBroker;
import dev.configmanager.support.PostgresServer;
import dev.configmanager.support.TestBroker;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Figure 6: the shared PostgreSQL store, on a server the harness starts (Debian's binaries, as the tests do): the
 * config round trip on PostgreSQL beside H2 in the same run; how long a change made through broker A takes to reach a
 * subscriber of broker B; sustained updates per second over two brokers beside PostgreSQL's own
 * one-commit-per-update rate on the same server, with the machine's CPU per update; and, for comparison, HiveMQ's part
 * of the same updates on two brokers without any store ({@link StorelessUpdates}).
 */
final class SharedStoreFigure {

    private static final Path SHIPPED = Path.of("src/hivemq-extension").toAbsolutePath();
    private static final int ROUNDS = 1_000;
    private static final int WARM_UP = 200;
    private static final long THROUGHPUT_MILLIS = 5_000;
    private static final int ROUNDS_OF_RATES = 3;

    private SharedStoreFigure() {}

    static void run(final Table table, final Path work) throws Exception {
        if (!PostgresServer.available()) {
            table.add(
                    "6 shared database",
                    "",
                    "",
                    Double.NaN,
                    "SKIPPED: no PostgreSQL server binaries (" + PostgresServer.INSTALL + ")");
            return;
        }
        try (PostgresServer pg = PostgresServer.start()) {
            roundTrips(table, work, pg);
            // files first, always; each pair is warmed up on its own and held against its own ceiling
            for (final Persistence persistence : Persistence.values()) {
                try {
                    final Rates rates = twoBrokers(table, work, pg, persistence);
                    storeless(table, work, pg, rates, persistence);
                } catch (final Exception e) {
                    // the other persistence's pairs still run
                    table.add("6 two brokers, " + persistence.label, "", "", Double.NaN, "FAILED: " + e);
                }
            }
        }
    }

    /**
     * HiveMQ's persistence on both brokers of a pair. As shipped, it keeps sessions, queued QoS 1 messages (Xodus) and
     * retained messages (RocksDB) in files, written by its single-writer threads. In memory they are lost at a
     * restart, and HiveMQ runs that work on the calling thread; with a shared database the retained config topics are
     * published again from it at start.
     */
    private enum Persistence {
        FILE("file persistence", "file"),
        IN_MEMORY("in-memory persistence", "in-memory");

        final String label;
        final String mode;

        Persistence(final String label, final String mode) {
            this.label = label;
            this.mode = mode;
        }

        boolean file() {
            return this == FILE;
        }

        /** For a child broker: the run command's setting. */
        Map<String, String> environment() {
            return Map.of("CM_PERSISTENCE", mode);
        }

        /** That the child broker started with this persistence, from HiveMQ's own line at start. */
        void check(final ChildBroker child) throws java.io.IOException {
            if (!child.output().contains("Starting with " + mode + " persistence mode.")) {
                throw new IllegalStateException("broker B did not start with " + label);
            }
        }
    }

    /**
     * Brokers A (embedded here) and B (the run command's broker in a child JVM) on one database, warmed up together
     * until their JIT compilers are done (see {@link JitWarmUp}): with a fixed 20 s, B's compiler still ran at 0.2–0.6
     * of a core through the measured phases, on a machine of two cores.
     */
    private static Rates twoBrokers(
            final Table table, final Path work, final PostgresServer pg, final Persistence persistence)
            throws Exception {
        final String database = "bench_two_" + persistence.name().toLowerCase(java.util.Locale.ROOT);
        final String url = pg.createDatabase(database);
        final int portB = TestBroker.freePort();
        try {
            try (BenchBroker a = BenchBroker.start(work, extensionHome(work, pg, url), persistence.file());
                    ChildBroker b = brokerB(work, pg, url, portB, persistence)) {
                final int[] ports = {a.port, portB};
                final String warmed = warmUp(ports, b);
                System.out.println("figure 6, " + persistence.label + ": " + warmed);
                brokerToBroker(table, a.port, portB, warmed, persistence);
                return throughput(table, ports, url, pg, persistence);
            }
        } finally {
            pg.dropDatabase(database); // its vacuum and checkpoint do not fall into the next pair's rounds
        }
    }

    /** Loads both brokers of a pair together (this JVM's and {@code b}) until their JIT compilers are done. */
    private static String warmUp(final int[] ports, final ChildBroker b) throws Exception {
        return JitWarmUp.run(
                (step, millis) -> Benchmark.closedLoop(ports, 64, millis, Benchmark.answersInTurn(step)),
                ProcessHandle.current().pid(),
                b.pid());
    }

    /** An extension home like the shipped one, storing in {@code url} ({@code null}: the H2 file). */
    private static Path extensionHome(final Path work, final PostgresServer pg, final String url) throws Exception {
        final Path home = Files.createTempDirectory(work, "extension");
        final Path schemas = Files.createDirectories(home.resolve("conf/schemas"));
        try (Stream<Path> files = Files.list(SHIPPED.resolve("conf/schemas"))) {
            for (final Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, schemas.resolve(f.getFileName()));
            }
        }
        final String database = url == null
                ? ""
                : "<database><url>%s</url><username>%s</username><password>%s</password></database>"
                        .formatted(url, PostgresServer.USER, pg.password());
        Files.writeString(home.resolve("conf/config.xml"), """
                <config-manager>%s<console><port>0</port></console></config-manager>""".formatted(database));
        return home;
    }

    /** The config round trip (set → result and config/updated) on H2, then on PostgreSQL, then on H2 again. */
    private static void roundTrips(final Table table, final Path work, final PostgresServer pg) throws Exception {
        final String url = pg.createDatabase("bench_rt");
        for (final String store : List.of("H2", "PostgreSQL")) {
            try (BenchBroker broker =
                    BenchBroker.start(work, extensionHome(work, pg, store.equals("H2") ? null : url), true)) {
                final Stats s = Stats.of(roundTrip(broker.port, broker.port, "bench-rt"));
                table.add(
                        "6 config request → result + config/updated, " + store,
                        "18 B request",
                        "ms",
                        s,
                        ROUNDS + " in sequence, same run");
            }
        }
    }

    /**
     * Requests through broker A (embedded here) while a client of broker B (the run command's broker in a child JVM,
     * on the same database) waits for each new version on B's config/updated: from the request to B's delivery,
     * which spans A's commit, the notification and B's catch-up read.
     */
    private static void brokerToBroker(
            final Table table, final int portA, final int portB, final String warmed, final Persistence persistence)
            throws Exception {
        final Stats s = Stats.of(roundTrip(portA, portB, "bench-ab"));
        table.add(
                "6 set through broker A → config/updated on broker B, " + persistence.label,
                "18 B request",
                "ms",
                s,
                ROUNDS + " in sequence, " + warmed + "; "
                        + Benchmark.verdict(s.median() <= 5 && s.p99() <= 25, "p50 ≤ 5, p99 ≤ 25"));
    }

    /** Broker B: the run command's broker in a child JVM, on the same database as broker A. */
    private static ChildBroker brokerB(
            final Path work, final PostgresServer pg, final String url, final int port, final Persistence persistence)
            throws Exception {
        final Map<String, String> environment = new java.util.HashMap<>(pg.runCommandEnvironment(url));
        environment.putAll(persistence.environment());
        final ChildBroker b = ChildBroker.start(Files.createTempDirectory(work, "broker-b"), port, environment);
        try {
            persistence.check(b);
        } catch (final Exception e) {
            b.close();
            throw e;
        }
        return b;
    }

    /**
     * {@value #ROUNDS} set requests through {@code requestPort}, each timed until its version arrives on {@code
     * updatedPort}'s config/updated (and its result on the requester's broker, so requests do not overlap).
     */
    private static double[] roundTrip(final int requestPort, final int updatedPort, final String service)
            throws Exception {
        final Mqtt5BlockingClient requester = Benchmark.client(requestPort, "rt-requester");
        final Mqtt5BlockingClient subscriber =
                updatedPort == requestPort ? requester : Benchmark.client(updatedPort, "rt-subscriber");
        final double[] ms = new double[ROUNDS];
        try (var results = requester.publishes(MqttGlobalPublishFilter.ALL);
                var updates = subscriber == requester ? results : subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            requester
                    .subscribeWith()
                    .topicFilter("bench/rt/" + service)
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
            subscriber
                    .subscribeWith()
                    .topicFilter("config/updated/" + service)
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
            Benchmark.drain(updates);
            for (int i = -WARM_UP; i < ROUNDS; i++) {
                final long t = System.nanoTime();
                requester
                        .publishWith()
                        .topic("config/set/" + service)
                        .qos(MqttQos.AT_LEAST_ONCE)
                        .responseTopic("bench/rt/" + service)
                        .payload(("{\"config\":{\"i\":" + i + "}}").getBytes(StandardCharsets.UTF_8))
                        .send();
                final String version = "\"i\":" + i + "}";
                double arrived = -1;
                boolean result = false;
                if (subscriber == requester) {
                    while (!result || arrived < 0) {
                        final var p = next(results);
                        if (p.getTopic().toString().startsWith("bench/rt/")) {
                            result = true;
                        } else if (contains(p.getPayloadAsBytes(), version)) {
                            arrived = (System.nanoTime() - t) / 1e6;
                        }
                    }
                } else {
                    // B's delivery is timed as it is received, then A's result is taken
                    while (arrived < 0) {
                        if (contains(next(updates).getPayloadAsBytes(), version)) {
                            arrived = (System.nanoTime() - t) / 1e6;
                        }
                    }
                    next(results);
                }
                if (i >= 0) {
                    ms[i] = arrived;
                }
            }
        } finally {
            requester.disconnect();
            if (subscriber != requester) {
                subscriber.disconnect();
            }
        }
        return ms;
    }

    private static com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish next(
            final Mqtt5BlockingClient.Mqtt5Publishes from) throws InterruptedException {
        return from.receive(10, TimeUnit.SECONDS).orElseThrow(() -> new IllegalStateException("nothing within 10 s"));
    }

    private static boolean contains(final byte[] payload, final String text) {
        return new String(payload, StandardCharsets.UTF_8).contains(text);
    }

    /** One round of closed-loop requesters: its rate and what the machine, and the database server, spent on it. */
    private record Round(double rate, double busySeconds, double serverSeconds, double contextSwitches) {

        /** Updates accepted in the round's window (the CPU window also holds the last answers after it). */
        double accepted() {
            return rate * THROUGHPUT_MILLIS / 1000;
        }

        double microsPerUpdate() {
            return busySeconds * 1e6 / accepted();
        }

        double serverMicrosPerUpdate() {
            return serverSeconds * 1e6 / accepted();
        }

        /** How often a thread anywhere on the machine gave up its CPU, per update: the hand-offs it took. */
        double switchesPerUpdate() {
            return contextSwitches / accepted();
        }

        /** Everything but the database server. */
        double brokersMicrosPerUpdate() {
            return microsPerUpdate() - serverMicrosPerUpdate();
        }
    }

    /** The rounds of each requester count and answer QoS, and the one-commit ceiling they are held against. */
    private record Rates(double ceiling, Map<Integer, Map<MqttQos, List<Round>>> rounds) {

        List<Round> of(final int requesters, final MqttQos answers) {
            return rounds.get(requesters).get(answers);
        }
    }

    private static final List<MqttQos> ANSWERS = List.of(MqttQos.AT_LEAST_ONCE, MqttQos.AT_MOST_ONCE);
    private static final int[] REQUESTERS = {16, 64};

    /** {@value #ROUNDS_OF_RATES} rounds per requester count and answer QoS, in A B, B A, A B order. */
    private static Map<Integer, Map<MqttQos, List<Round>>> rounds(final int[] ports, final long server)
            throws Exception {
        final Map<Integer, Map<MqttQos, List<Round>>> rounds = new java.util.TreeMap<>();
        for (final int requesters : REQUESTERS) {
            // neither side always runs first, nearer whatever the last one left
            final Map<MqttQos, List<Round>> measured = new EnumMap<>(MqttQos.class);
            for (int round = 0; round < ROUNDS_OF_RATES; round++) {
                final List<MqttQos> order = round % 2 == 0 ? ANSWERS : List.of(ANSWERS.get(1), ANSWERS.get(0));
                for (final MqttQos answers : order) {
                    final MachineCpu cpu = new MachineCpu(server);
                    final double rate = Benchmark.closedLoop(ports, requesters, THROUGHPUT_MILLIS, answers, cpu);
                    measured.computeIfAbsent(answers, q -> new ArrayList<>())
                            .add(new Round(rate, cpu.busySeconds(), cpu.serverSeconds(), cpu.contextSwitches()));
                }
            }
            rounds.put(requesters, measured);
        }
        return rounds;
    }

    private static double median(final List<Round> rounds, final java.util.function.ToDoubleFunction<Round> value) {
        return Benchmark.median(rounds.stream().map(value::applyAsDouble).toList());
    }

    /**
     * Closed-loop requesters (each its own service) spread over two brokers on one database, beside one connection
     * committing each update on its own on the same server: what the group commit adds over one commit per update.
     */
    private static Rates throughput(
            final Table table,
            final int[] ports,
            final String url,
            final PostgresServer pg,
            final Persistence persistence)
            throws Exception {
        // the ceiling before and after the rates: this machine's speed moves within minutes
        final double ceilingBefore = oneCommitPerUpdate(url, pg.password(), "ceiling-before-");
        final Map<Integer, Map<MqttQos, List<Round>>> rounds = rounds(ports, pg.pid());
        final double ceilingAfter = oneCommitPerUpdate(url, pg.password(), "ceiling-after-");
        final double ceiling = (ceilingBefore + ceilingAfter) / 2;
        table.add(
                "6 PostgreSQL one commit per update (JDBC, one connection)",
                "3 rows each",
                "updates/s",
                ceiling,
                String.format(
                        "the ceiling without group commit, same server, same run: mean of %.0f before and %.0f after"
                                + " the rates",
                        ceilingBefore, ceilingAfter));
        for (final int requesters : REQUESTERS) {
            for (final MqttQos answers : ANSWERS) {
                final List<Round> measured = rounds.get(requesters).get(answers);
                final double rate = median(measured, Round::rate);
                table.add(
                        "6 accepted updates/s over two brokers, " + persistence.label + ", answers at QoS "
                                + answers.getCode(),
                        requesters + " requesters",
                        "updates/s",
                        rate,
                        String.format(
                                        "median of %d rounds (%.0f–%.0f); %.2f× the one-commit ceiling; machine CPU"
                                                + " %.0f µs per update, the server's %.0f; %.1f context switches per"
                                                + " update; ",
                                        measured.size(),
                                        measured.stream()
                                                .mapToDouble(Round::rate)
                                                .min()
                                                .orElse(Double.NaN),
                                        measured.stream()
                                                .mapToDouble(Round::rate)
                                                .max()
                                                .orElse(Double.NaN),
                                        rate / ceiling,
                                        median(measured, Round::microsPerUpdate),
                                        median(measured, Round::serverMicrosPerUpdate),
                                        median(measured, Round::switchesPerUpdate))
                                + Benchmark.verdict(rate >= 2 * ceiling, "≥ 2×"));
            }
        }
        return new Rates(ceiling, rounds);
    }

    /**
     * The same requesters on two brokers that do only HiveMQ's part of an update ({@link StorelessUpdates}: the
     * request held and released, two retained writes, the answer), then an estimate of the rate if the extension's
     * own work cost nothing: the machine's CPUs over the CPU per update here (brokers, clients and kernel; the idle
     * server's share taken out) plus the server's per update in the rates above. It leans high: the storeless brokers
     * run at two to three times the rate, where each HiveMQ thread wakes for more messages at once. It leans low where
     * the extension could make the server's part smaller (bigger batches at 16 requesters, fewer change reads).
     */
    private static void storeless(
            final Table table,
            final Path work,
            final PostgresServer pg,
            final Rates shared,
            final Persistence persistence)
            throws Exception {
        final int portB = TestBroker.freePort();
        try (BenchBroker a = BenchBroker.start(work, new StorelessUpdates(), "storeless-updates", persistence.file());
                ChildBroker b = ChildBroker.start(
                        Files.createTempDirectory(work, "storeless-b"),
                        portB,
                        persistence.environment(),
                        StorelessUpdates.class.getName(),
                        StorelessUpdates.ready(persistence.file()))) {
            final int[] ports = {a.port, portB};
            System.out.println("figure 6, HiveMQ's part alone, " + persistence.label + ": " + warmUp(ports, b));
            final Map<Integer, Map<MqttQos, List<Round>>> rounds = rounds(ports, pg.pid());
            final int cpus = MachineCpu.cpus();
            for (final int requesters : REQUESTERS) {
                for (final MqttQos answers : ANSWERS) {
                    final List<Round> measured = rounds.get(requesters).get(answers);
                    final double hivemq = median(measured, Round::brokersMicrosPerUpdate);
                    final double server = median(shared.of(requesters, answers), Round::serverMicrosPerUpdate);
                    final String size = requesters + " requesters, answers at QoS " + answers.getCode();
                    table.add(
                            "6 HiveMQ's part of an update alone (no store), two brokers, " + persistence.label,
                            size,
                            "updates/s",
                            median(measured, Round::rate),
                            String.format(
                                    "median of %d rounds; machine CPU %.0f µs per update (brokers, clients, kernel;"
                                            + " the idle server's %.1f taken out); %.1f context switches per update",
                                    measured.size(),
                                    hivemq,
                                    median(measured, Round::serverMicrosPerUpdate),
                                    median(measured, Round::switchesPerUpdate)));
                    final double bound = cpus * 1e6 / (hivemq + server);
                    table.add(
                            "6 estimate: rate if the extension's own work cost nothing, " + persistence.label,
                            size,
                            "updates/s",
                            bound,
                            String.format(
                                    "%d CPUs / (HiveMQ's %.0f µs + the server's %.0f µs per update): %.2f× the"
                                            + " one-commit ceiling",
                                    cpus, hivemq, server, bound / shared.ceiling()));
                }
            }
        }
    }

    /** The rows one accepted update writes (version, current config, audit line), committed one update at a time. */
    private static double oneCommitPerUpdate(final String url, final String password, final String services)
            throws Exception {
        try (Connection c = DriverManager.getConnection(url, PostgresServer.USER, password);
                PreparedStatement history = c.prepareStatement("INSERT INTO cm_history (service, version, change_kind, "
                        + "config, checksum, updated_at, updated_by, origin) VALUES (?, ?, 'SET', ?, ?, ?, 'bench', "
                        + "'MQTT')");
                PreparedStatement current = c.prepareStatement("INSERT INTO cm_current (service, version, "
                        + "change_kind, config, checksum, updated_at, updated_by, origin) VALUES (?, ?, 'SET', ?, ?, ?, "
                        + "'bench', 'MQTT') ON CONFLICT (service) DO UPDATE SET version = EXCLUDED.version, "
                        + "config = EXCLUDED.config, checksum = EXCLUDED.checksum, updated_at = EXCLUDED.updated_at");
                PreparedStatement audit = c.prepareStatement("INSERT INTO cm_audit (at, service, action, origin, "
                        + "requester, outcome, version) VALUES (?, ?, 'set', 'MQTT', 'bench', 'accepted', ?)")) {
            c.setAutoCommit(false);
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            long n = 0;
            while (System.nanoTime() < end) {
                n++;
                final String service = services + (n % 16); // versions start at 1 again: services of its own
                final Timestamp now = Timestamp.from(Instant.now());
                for (final PreparedStatement row : List.of(history, current)) {
                    row.setString(1, service);
                    row.setLong(2, n);
                    row.setString(3, "{\"i\":" + n + "}");
                    row.setString(4, "0".repeat(64));
                    row.setTimestamp(5, now);
                    row.executeUpdate();
                }
                audit.setTimestamp(1, now);
                audit.setString(2, service);
                audit.setLong(3, n);
                audit.executeUpdate();
                c.commit();
            }
            return n / 3.0;
        }
    }
}
