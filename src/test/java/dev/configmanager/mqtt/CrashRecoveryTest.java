package dev.configmanager.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.store.H2ConfigStore;
import dev.configmanager.support.ChildBroker;
import dev.configmanager.support.Requester;
import dev.configmanager.support.Requester.Reply;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An acknowledged request survives a SIGKILL of the broker process at any moment, and after the restart the retained
 * config topics equal the database. The broker runs in a child JVM (the README's run command) so it can really die.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class CrashRecoveryTest {

    private static final int SERVICES = 10;
    private static final int REQUESTS = 600;
    private static final int KILL_AFTER = 300;

    @TempDir
    static Path dir;

    /** An accepted answer: the version and checksum the requester was promised. */
    private record Ack(String service, long version, String checksum) {}

    @Test
    void everyAcknowledgedRequestSurvivesSigkillAndRetainedEqualsTheDatabase() throws Exception {
        streamKillAndCheck(dir.resolve("broker"), home -> {});
    }

    @Test
    void aJournalDeletedWhileTheBrokerRunsLosesNothingAcknowledgedAtTheNextSigkill() throws Exception {
        streamKillAndCheck(
                dir.resolve("broker-deleted-journal"),
                home -> java.nio.file.Files.delete(
                        H2ConfigStore.journalPath(home.resolve("data/config-manager/config-manager"))));
    }

    /**
     * Reports of what clients applied are acknowledged once synced (they have no journal record): ten clients report
     * in turn, each a rising version, the broker is killed mid-stream, and each client's stored report is at least
     * the last one it had acknowledged.
     */
    @Test
    void everyAcknowledgedReportSurvivesSigkill() throws Exception {
        final Path home = dir.resolve("broker-reports");
        final int port = TestBroker.freePort();
        final int clients = 10;
        final long[] acked = new long[clients];
        java.util.Arrays.fill(acked, -1);
        final AtomicInteger acks = new AtomicInteger();
        final ChildBroker first = ChildBroker.start(home, port);
        try (Requester r = new Requester(port, "crash-ops")) {
            assertTrue(r.send("set", "crash-fleet", "{\"config\": {\"n\": 1}}").accepted());
        }
        final List<Thread> reporters = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            final int me = c;
            final Thread t = new Thread(() -> {
                try {
                    final var client = com.hivemq.client.mqtt.mqtt5.Mqtt5Client.builder()
                            .identifier("crash-fleet-" + me)
                            .serverHost("127.0.0.1")
                            .serverPort(port)
                            .buildBlocking();
                    client.connect();
                    for (long v = 0; ; v++) {
                        client.publishWith()
                                .topic("config/applied/crash-fleet")
                                .qos(com.hivemq.client.mqtt.datatypes.MqttQos.AT_LEAST_ONCE)
                                .payload(("{\"version\": " + v + ", \"checksum\": \"c\", \"ok\": true}")
                                        .getBytes(java.nio.charset.StandardCharsets.UTF_8))
                                .send(); // returns with the PUBACK: stored
                        acked[me] = v;
                        acks.incrementAndGet();
                    }
                } catch (final Throwable expected) {
                    // the broker died under us: acked holds the last acknowledged version
                }
            });
            t.start();
            reporters.add(t);
        }
        while (acks.get() < 150) {
            Thread.sleep(1);
        }
        first.kill();
        for (final Thread t : reporters) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
        System.out.printf("CrashRecoveryTest: SIGKILL after %d acknowledged reports%n", acks.get());
        // reports have no journal record: what was acknowledged is in the H2 file itself, which is read as it was left
        try (Connection db =
                DriverManager.getConnection(H2ConfigStore.url(home.resolve("data/config-manager/config-manager")))) {
            for (int c = 0; c < clients; c++) {
                try (var q = db.prepareStatement("SELECT version FROM cm_applied WHERE client_id = ?")) {
                    q.setString(1, "crash-fleet-" + c);
                    try (ResultSet rs = q.executeQuery()) {
                        if (acked[c] < 0) {
                            continue;
                        }
                        assertTrue(rs.next(), "client " + c + " had report " + acked[c] + " acknowledged");
                        assertTrue(
                                rs.getLong(1) >= acked[c],
                                "client " + c + ": stored " + rs.getLong(1) + ", acknowledged " + acked[c]);
                    }
                }
            }
        }
    }

    /** Something done to the broker's files while it runs. */
    private interface Interference {
        void apply(Path home) throws Exception;
    }

    /**
     * Streams requests, applies {@code interference} after a sixth of them were acknowledged, kills the broker after
     * half, restarts it and checks that every acknowledged version is stored and retained topics equal the database.
     */
    private static void streamKillAndCheck(final Path home, final Interference interference) throws Exception {
        final int port = TestBroker.freePort();
        final List<Ack> acks = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger sent = new AtomicInteger();
        final ChildBroker first = ChildBroker.start(home, port);
        final Thread streamer = new Thread(() -> {
            try (Requester r = new Requester(port, "crash-writer")) {
                for (int i = 0; i < REQUESTS; i++) {
                    final String service = "crash-" + (i % SERVICES);
                    sent.incrementAndGet();
                    final Reply reply = r.send("set", service, "{\"config\": {\"n\": " + i + "}}");
                    if (reply.accepted()) {
                        acks.add(new Ack(
                                service,
                                reply.version(),
                                reply.data().get("checksum").asText()));
                    }
                }
            } catch (final Throwable expected) {
                // the broker died under us: everything acknowledged so far is in acks
            }
        });
        streamer.start();
        while (acks.size() < KILL_AFTER / 6 && streamer.isAlive()) {
            Thread.sleep(1);
        }
        interference.apply(home);
        while (acks.size() < KILL_AFTER && streamer.isAlive()) {
            Thread.sleep(1);
        }
        first.kill();
        streamer.join(TimeUnit.SECONDS.toMillis(60));
        assertTrue(
                acks.size() >= KILL_AFTER && acks.size() < REQUESTS,
                "killed mid-stream: " + acks.size() + " acknowledged of " + sent.get() + " sent");

        System.out.printf(
                "CrashRecoveryTest: SIGKILL after %d acknowledged of %d sent requests%n", acks.size(), sent.get());
        final Map<String, JsonNode> retained = new HashMap<>();
        try (ChildBroker second = ChildBroker.start(home, port)) {
            for (int s = 0; s < SERVICES; s++) {
                retained.put("crash-" + s, RetainedReader.receiveJson(port, "config/updated/crash-" + s));
            }
        }

        try (Connection db =
                DriverManager.getConnection(H2ConfigStore.url(home.resolve("data/config-manager/config-manager")))) {
            for (final Ack ack : acks) {
                try (var q = db.prepareStatement("SELECT checksum FROM cm_history WHERE service = ? AND version = ?")) {
                    q.setString(1, ack.service());
                    q.setLong(2, ack.version());
                    try (ResultSet rs = q.executeQuery()) {
                        assertTrue(rs.next(), "acknowledged " + ack + " is in the history");
                        assertEquals(ack.checksum(), rs.getString(1), ack.toString());
                    }
                }
            }
            try (ResultSet rs =
                    db.createStatement().executeQuery("SELECT service, version, checksum FROM cm_current")) {
                int services = 0;
                while (rs.next()) {
                    final JsonNode topic = retained.get(rs.getString(1));
                    assertEquals(rs.getLong(2), topic.get("version").asLong(), rs.getString(1));
                    assertEquals(rs.getString(3), topic.get("checksum").asText(), rs.getString(1));
                    services++;
                }
                assertEquals(SERVICES, services);
            }
        }
    }
}
