package dev.configmanager.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.PostgresConfigStore;
import dev.configmanager.store.SqlConfigStore;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.ChildBroker;
import dev.configmanager.support.PostgresExtension;
import dev.configmanager.support.PostgresServer;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.Json;
import dev.configmanager.wire.RequestOrigin;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two brokers on one PostgreSQL database: broker A embedded here, broker B the run command's broker in a child JVM
 * (its database given through {@code CM_DATABASE_URL}, {@code CM_DATABASE_USER}, {@code CM_DATABASE_PASSWORD}). What
 * is set through one is retained on the other, and a broker that was down while changes were made comes back with
 * the database's versions.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SharedDatabaseBrokersTest {

    @RegisterExtension
    static final BrokerExtension fixture = BrokerExtension.manual();

    @RegisterExtension
    static final PostgresExtension server = new PostgresExtension();

    @TempDir
    static Path childHome;

    private PostgresServer postgres;

    @BeforeEach
    void server() {
        postgres = server.server();
    }

    @Test
    void whatIsSetThroughOneBrokerIsRetainedOnTheOther() throws Exception {
        final int consoleA = TestBroker.freePort();
        final TestBroker a = fixture.start(dir -> TestBroker.start(
                dir, """
                <database><url>%s</url><username>%s</username><password>%s</password></database>
                <console><port>%d</port></console>""".formatted(postgres.url(), PostgresServer.USER, postgres.password(), consoleA)));
        final Map<String, String> shared = postgres.runCommandEnvironment(postgres.url());
        final int portB = TestBroker.freePort();
        try (ChildBroker b = ChildBroker.start(childHome.resolve("b"), portB, shared);
                Requester throughA = new Requester(a.port(), "ops-a");
                Requester throughB = new Requester(portB, "ops-b")) {
            assertTrue(throughA.send("set", "router", "{\"config\": {\"router_stream_min_chars\": 11}}")
                    .accepted());
            final JsonNode onB = RetainedReader.await(
                    portB, "config/updated/router", u -> u.path("version").asLong() == 1);
            assertEquals(11, onB.get("config").get("router_stream_min_chars").asInt());

            final Requester.Reply second = throughB.send(
                    "patch", "router", "{\"patch\": {\"router_stream_max_chars\": 300}, " + "\"expected_version\": 1}");
            assertEquals(2, second.version(), second.envelope().toString());
            final JsonNode onA = RetainedReader.await(
                    a.port(), "config/updated/router", u -> u.path("version").asLong() == 2);
            assertEquals(300, onA.get("config").get("router_stream_max_chars").asInt());

            final Requester.Reply stale = throughA.send(
                    "set", "router", "{\"config\": {\"router_stream_min_chars\": " + "12}, \"expected_version\": 1}");
            assertEquals("version_conflict", stale.errorCode(), "A learned of B's version: " + stale.envelope());

            retriedRequestIdIsAnsweredWithTheFirstAnswer(throughA, throughB);
            racingWritersOnBothBrokersGetOneWinnerPerVersion(a.port(), portB);

            // presence: a client of B is listed by A's console, with the broker it is on
            try (Requester clientOfB = new Requester(portB, "router-on-b")) {
                final JsonNode seen = awaitClient(
                        consoleA, "router-on-b", c -> c.path("online").asBoolean());
                assertTrue(seen.path("node").asText().endsWith(":" + portB), seen.toString());
                assertFalse(seen.path("stale").asBoolean(), seen.toString());
                final JsonNode own =
                        awaitClient(consoleA, "ops-a", c -> c.path("online").asBoolean());
                assertTrue(own.path("node").asText().endsWith(":" + a.port()), "A's own clients name A: " + own);

                // drift: a report through B is in the shared store, so A's console shows it, on B
                final JsonNode current = RetainedReader.receiveJson(portB, "config/updated/router");
                clientOfB
                        .client()
                        .publishWith()
                        .topic("config/applied/router")
                        .qos(com.hivemq.client.mqtt.datatypes.MqttQos.AT_LEAST_ONCE)
                        .payload(("{\"version\": " + current.get("version").asLong() + ", \"checksum\": \""
                                        + current.get("checksum").asText() + "\", \"ok\": true}")
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .send();
                final JsonNode drift = Json.parse(HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create(
                                                "http://127.0.0.1:" + consoleA + "/api/services/router/drift"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body());
                final JsonNode row = java.util.stream.StreamSupport.stream(
                                drift.get("clients").spliterator(), false)
                        .filter(c -> c.get("client_id").asText().equals("router-on-b"))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("B's reporting client is not in A's drift: " + drift));
                assertEquals("in_sync", row.get("state").asText(), row.toString());
                assertTrue(row.get("node").asText().endsWith(":" + portB), row.toString());
            }
            awaitClient(consoleA, "router-on-b", c -> !c.path("online").asBoolean());
        }
        // B stopped: its clients are no longer online in A's view
        awaitClient(consoleA, "ops-b", c -> !c.path("online").asBoolean());
        // B is down: a change through A, then B comes back on its own retained store
        try (Requester throughA = new Requester(a.port(), "ops-a")) {
            assertEquals(
                    5,
                    throughA.send("set", "router", "{\"config\": {\"router_stream_min_chars\": 13}}")
                            .version());
        }
        try (ChildBroker b = ChildBroker.start(childHome.resolve("b"), portB, shared)) {
            final JsonNode back = RetainedReader.await(
                    portB, "config/updated/router", u -> u.path("version").asLong() == 5);
            assertEquals(13, back.get("config").get("router_stream_min_chars").asInt());
        }
    }

    /** Polls A's console until the client is listed and {@code until} holds for its row; returns the row. */
    private static JsonNode awaitClient(final int consolePort, final String clientId, final Predicate<JsonNode> until)
            throws Exception {
        final HttpClient http = HttpClient.newHttpClient();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            final HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + consolePort + "/api/clients"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            for (final JsonNode row : Json.parse(r.body())) {
                if (row.path("client_id").asText().equals(clientId)) {
                    last = row;
                    if (until.test(row)) {
                        return row;
                    }
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("client " + clientId + " never reached the expected state; last row: " + last);
    }

    /**
     * A requester whose answer was lost retries with the same request id, and the retry reaches the other broker,
     * which never saw the id: it is answered with the first answer, not applied a second time.
     */
    private static void retriedRequestIdIsAnsweredWithTheFirstAnswer(final Requester throughA, final Requester throughB)
            throws Exception {
        final String body = "{\"config\": {\"router_stream_min_chars\": 21}, \"expected_version\": 2, "
                + "\"request_id\": \"retry-7\"}";
        final Requester.Reply first = throughA.send("set", "router", body);
        assertEquals(3, first.version(), first.envelope().toString());
        final Requester.Reply retried = throughB.send("set", "router", body);
        assertEquals("retry-7", retried.envelope().get("id").asText());
        assertEquals(
                first.data(),
                retried.data(),
                "the first answer (applied again, it would be a version_conflict): " + retried.envelope());
        final Requester.Reply next = throughB.send("set", "router", "{\"config\": {\"router_stream_min_chars\": 22}}");
        assertEquals(4, next.version(), "the retry stored no version: " + next.envelope());
        final Requester.Reply third = throughA.send("set", "router", body);
        assertEquals(first.data(), third.data(), "and the broker that answered first answers the same");
    }

    /**
     * Eight writers, four on each broker, each setting with the version it last saw as {@code expected_version}: the
     * database lets one writer win each version, the others hear version_conflict and try again on the new one.
     */
    private static void racingWritersOnBothBrokersGetOneWinnerPerVersion(final int portA, final int portB)
            throws Exception {
        final int writers = 8;
        final int winsEach = 5;
        final ConcurrentMap<Long, String> winners = new ConcurrentHashMap<>();
        final List<String> duplicates = Collections.synchronizedList(new ArrayList<>());
        final ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            final List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                final String name = "racer-" + w;
                final int port = w % 2 == 0 ? portA : portB;
                done.add(pool.submit(() -> {
                    try (Requester r = new Requester(port, name)) {
                        long known = 0;
                        int won = 0;
                        for (int attempt = 0; won < winsEach && attempt < 200; attempt++) {
                            final Requester.Reply reply = r.send(
                                    "set",
                                    "race",
                                    "{\"config\": {\"by\": \"%s\", \"n\": %d}, \"expected_version\": %d}"
                                            .formatted(name, attempt, known));
                            if (reply.accepted()) {
                                assertEquals(
                                        known + 1,
                                        reply.version(),
                                        reply.envelope().toString());
                                if (winners.putIfAbsent(reply.version(), name) != null) {
                                    duplicates.add("v" + reply.version() + " also won by " + name);
                                }
                                known = reply.version();
                                won++;
                            } else {
                                assertEquals(
                                        "version_conflict",
                                        reply.errorCode(),
                                        reply.envelope().toString());
                                known = reply.data().get("current_version").asLong();
                            }
                        }
                        assertEquals(winsEach, won, name + " kept losing");
                    }
                    return null;
                }));
            }
            for (final Future<?> f : done) {
                f.get(3, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), duplicates, "one winner per version");
        final long last = (long) writers * winsEach;
        assertEquals(
                LongStream.rangeClosed(1, last).boxed().toList(),
                winners.keySet().stream().sorted().toList(),
                "versions without gaps");
        for (final int port : List.of(portA, portB)) {
            RetainedReader.await(
                    port, "config/updated/race", u -> u.path("version").asLong() == last);
        }
    }

    /**
     * {@code <publisher>one}: of brokers sharing one retained store (an Enterprise cluster), one publishes what the
     * others commit. Shown here on two CE brokers, whose retained stores are apart, so who published is visible: A
     * holds the role and publishes a change committed elsewhere, B does not; A stops, B takes the role over and
     * publishes what it had left to others.
     */
    @Test
    void withOnePublisherOnlyTheRoleHolderPublishesOthersChangesAndASurvivorTakesOver() throws Exception {
        final String url = postgres.createDatabase("one_publisher");
        final TestBroker a = fixture.start(dir ->
                TestBroker.start(dir.resolve("one-a"), """
                <database><url>%s</url><username>%s</username><password>%s</password>
                <publisher>one</publisher></database>""".formatted(url, PostgresServer.USER, postgres.password())));
        Thread.sleep(1_500); // A takes the role (tried every second) before B starts
        final int portB = TestBroker.freePort();
        try (ChildBroker b = ChildBroker.start(
                childHome.resolve("one-b"), portB, publisherOne(postgres.runCommandEnvironment(url)))) {
            commitElsewhere(url, "svc-one", 1);
            RetainedReader.await(
                    a.port(), "config/updated/svc-one", u -> u.path("version").asLong() == 1);
            Thread.sleep(3_000); // B follows the same change log: it must have left the change alone
            assertThrows(
                    AssertionError.class,
                    () -> RetainedReader.receiveJson(portB, "config/updated/svc-one"),
                    "B does not hold the role and publishes nothing of what others commit");

            // B's own commits B publishes itself, role or not (its requester hears accepted once it is visible)
            try (Requester throughB = new Requester(portB, "ops-b")) {
                assertEquals(
                        1,
                        throughB.send("set", "svc-own", "{\"config\": {\"b\": 1}}")
                                .version());
            }
            RetainedReader.await(
                    portB, "config/updated/svc-own", u -> u.path("version").asLong() == 1);

            a.stop(); // the holder goes away: B takes the role over and publishes what it had left to others
            final JsonNode taken = RetainedReader.await(
                    portB, "config/updated/svc-one", u -> u.path("version").asLong() == 1);
            assertEquals(1, taken.get("config").get("n").asInt());
            commitElsewhere(url, "svc-one", 2);
            RetainedReader.await(
                    portB, "config/updated/svc-one", u -> u.path("version").asLong() == 2);
        }
    }

    /**
     * HiveMQ's in-memory persistence keeps no retained message across a restart (README, "Several brokers, one
     * database", HiveMQ's persistence): such a broker gets every config from the database at each start, the ones
     * that never changed as well as those changed while it was down.
     */
    @Test
    void aBrokerWithInMemoryPersistenceGetsTheDatabasesConfigsAtEveryStart() throws Exception {
        final String url = postgres.createDatabase("in_memory");
        final Map<String, String> inMemory = new HashMap<>(postgres.runCommandEnvironment(url));
        inMemory.put("CM_PERSISTENCE", "in-memory");
        final int port = TestBroker.freePort();
        commitElsewhere(url, "svc-steady", 1);
        commitElsewhere(url, "svc-memory", 1);
        final Map<String, Long> stored = new java.util.LinkedHashMap<>(Map.of("svc-steady", 1L, "svc-memory", 1L));
        startInMemoryAndExpect(childHome.resolve("memory"), port, inMemory, stored);

        commitElsewhere(url, "svc-memory", 2);
        commitElsewhere(url, "svc-other", 1);
        stored.put("svc-memory", 2L);
        stored.put("svc-other", 1L);
        startInMemoryAndExpect(childHome.resolve("memory"), port, inMemory, stored);
    }

    /** Starts the child broker (in memory, so with no retained message) and awaits each service's stored version. */
    private static void startInMemoryAndExpect(
            final Path home, final int port, final Map<String, String> environment, final Map<String, Long> stored)
            throws Exception {
        try (ChildBroker b = ChildBroker.start(home, port, environment)) {
            assertTrue(b.output().contains("Starting with in-memory persistence mode"), b.output());
            for (final Map.Entry<String, Long> service : stored.entrySet()) {
                assertRetained(port, service.getKey(), service.getValue());
            }
        }
    }

    /** The retained config of {@code service} on the broker at {@code port} reaches {@code version}, as committed. */
    private static void assertRetained(final int port, final String service, final long version) throws Exception {
        final JsonNode retained = RetainedReader.await(
                port, "config/updated/" + service, u -> u.path("version").asLong() == version);
        assertEquals(version, retained.get("config").get("n").asLong(), retained.toString());
    }

    private static Map<String, String> publisherOne(final Map<String, String> environment) {
        final Map<String, String> one = new HashMap<>(environment);
        one.put("CM_DATABASE_PUBLISHER", "one");
        return one;
    }

    /** A version committed to the database by a broker that is neither A nor B. */
    private void commitElsewhere(final String url, final String service, final long version) throws Exception {
        final String config = "{\"n\":" + version + "}";
        try (SqlConfigStore other = PostgresConfigStore.open(url, PostgresServer.USER, postgres.password(), 1_000)) {
            other.commit(
                    List.of(new ConfigVersion(
                            service,
                            version,
                            ConfigVersion.Change.SET,
                            config,
                            CanonicalJson.sha256Hex(config),
                            Instant.now(),
                            "broker-elsewhere",
                            null,
                            RequestOrigin.MQTT)),
                    List.of());
        }
    }

    @Test
    void aBrokerStartedWhilePostgresIsDownCatchesUpWhenItComesBack() throws Exception {
        final String url = postgres.createDatabase("late");
        commitElsewhere(url, "svc-late", 1); // while this broker was away
        postgres.stop();
        final TestBroker broker;
        try {
            broker = fixture.start(dir -> TestBroker.start(
                    dir.resolve("late"), """
                    <database><url>%s</url><username>%s</username><password>%s</password></database>""".formatted(url, PostgresServer.USER, postgres.password())));
            try (Requester r = new Requester(broker.port(), "ops")) {
                final Requester.Reply refused = r.send("set", "svc-late", "{\"config\": {\"a\": 2}}");
                assertEquals(
                        "store_unavailable",
                        refused.errorCode(),
                        refused.envelope().toString());
            }
            final JsonNode down = RetainedReader.await(
                    broker.port(),
                    "system/health/config-manager",
                    h -> !h.path("data").path("ok").asBoolean());
            assertEquals("store_unavailable", down.get("data").get("event").asText());
        } finally {
            postgres.startServer();
        }
        // no restart: the broker opens the database, catches up, and takes writes
        RetainedReader.await(
                broker.port(),
                "system/health/config-manager",
                h -> h.path("data").path("ok").asBoolean());
        final JsonNode caughtUp = RetainedReader.await(
                broker.port(), "config/updated/svc-late", u -> u.path("version").asLong() == 1);
        assertEquals(1, caughtUp.get("config").get("n").asInt(), "what was stored while it was away");
        try (Requester r = new Requester(broker.port(), "ops")) {
            final Requester.Reply accepted =
                    r.send("set", "svc-late", "{\"config\": {\"a\": 2}, \"expected_version\": 1}");
            assertEquals(2, accepted.version(), accepted.envelope().toString());
        }
    }

    @Test
    void aPostgresOutageRefusesWritesAndTheBrokerRecoversWithoutARestart() throws Exception {
        final String url = postgres.createDatabase("outage");
        final int console = TestBroker.freePort();
        final TestBroker broker = fixture.start(dir -> TestBroker.start(
                dir.resolve("outage"), """
                <database><url>%s</url><username>%s</username><password>%s</password></database>
                <console><port>%d</port></console>""".formatted(url, PostgresServer.USER, postgres.password(), console)));
        try (Requester r = new Requester(broker.port(), "ops")) {
            assertTrue(r.send("set", "svc-pg", "{\"config\": {\"a\": 1}}").accepted());
            postgres.stop();
            try {
                final Requester.Reply refused = r.send("set", "svc-pg", "{\"config\": {\"a\": 2}}");
                assertEquals(
                        "store_unavailable",
                        refused.errorCode(),
                        refused.envelope().toString());
                final JsonNode down = RetainedReader.await(
                        "system/health/config-manager",
                        h -> !h.path("data").path("ok").asBoolean());
                assertEquals("store_unavailable", down.get("data").get("event").asText());
                assertEquals(
                        1,
                        RetainedReader.receiveJson(broker.port(), "config/updated/svc-pg")
                                .get("version")
                                .asLong(),
                        "the retained config is still served");
                final JsonNode own =
                        awaitClient(console, "ops", c -> c.path("online").asBoolean());
                assertFalse(own.path("stale").asBoolean(), "the console still lists this broker's clients: " + own);
            } finally {
                postgres.startServer();
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            Requester.Reply again;
            do {
                Thread.sleep(300);
                again = r.send("set", "svc-pg", "{\"config\": {\"a\": 3}}");
            } while (!again.accepted() && System.nanoTime() < deadline);
            assertEquals(2, again.version(), "stored after the server came back: " + again.envelope());
            RetainedReader.await(
                    "system/health/config-manager",
                    h -> h.path("data").path("ok").asBoolean());
        }
    }
}
