package dev.configmanager.mqtt;

import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.HostileCorpus.Case;
import dev.configmanager.support.Requester;
import dev.configmanager.support.Requester.Reply;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.configmanager.support.HostileCorpus.cases;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hostile-input corpus ({@link HostileCorpus}) on a real broker: every malformed request gets its expected error
 * code, the stored state is byte-for-byte what it was before, and the broker keeps serving. Each test sends what it
 * needs itself, so each holds when run alone or in any order.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class HostileInputTest {

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    static Requester requester;

    private static final String ACCEPTED_PREFIX = "corpus-accepted-";

    @BeforeAll
    static void seed() throws Exception {
        requester = new Requester(broker.port(), "hostile-client");
        for (final String[] seed : new String[][] {
            {"svc-hostile", "{\"a\":1}"},
            {"tts-worker", "{\"volume_percent\":50}"},
            {"router", "{\"router_stream_min_chars\":30}"}
        }) {
            assertTrue(
                    requester
                            .send("set", seed[0], "{\"config\":" + seed[1] + "}")
                            .accepted(),
                    seed[0]);
        }
    }

    @AfterAll
    static void close() {
        requester.close();
    }

    @Test
    void corpusHasAtLeastAHundredDistinctCases() throws IOException {
        assertTrue(cases().size() >= 100, "corpus size " + cases().size());
        assertEquals(
                cases().size(),
                cases().stream()
                        .map(c -> c.topic()
                                + new String(c.payload(), StandardCharsets.ISO_8859_1)
                                + c.responseTopic()
                                + c.clientId())
                        .distinct()
                        .count(),
                "every case is distinct");
    }

    @TestFactory
    Stream<DynamicTest> eachMalformedRequestIsRejectedWithItsCode() throws IOException {
        return cases().stream()
                .map(c -> DynamicTest.dynamicTest(c.name(), () -> {
                    final Sent sent = send(c);
                    final Reply reply = sent.reply();
                    if (c.expect().equals("accepted")) {
                        assertTrue(reply.accepted(), reply.envelope().toString());
                        assertReachesItsTopic(c.service(), reply.version());
                    } else {
                        assertEquals(
                                "config.rejected",
                                reply.type(),
                                reply.envelope().toString());
                        assertEquals(
                                c.expect(), reply.errorCode(), reply.envelope().toString());
                    }
                    assertEquals(
                            c.responseTopic() == null ? sent.ownReplyTopic() : "config/result/" + c.service(),
                            reply.topic(),
                            "a response topic the extension owns is refused, never published to");
                }));
    }

    /** The answer to a case, and the reply topic of the client that sent it. */
    private record Sent(Reply reply, String ownReplyTopic) {}

    /** Sends one case from its own client id (or the shared client) and waits for the answer. */
    private static Sent send(final Case c) throws Exception {
        final Requester sender = c.clientId() == null ? requester : new Requester(broker.port(), c.clientId());
        try {
            return new Sent(
                    sender.send(
                            c.topic(),
                            c.payload(),
                            c.responseTopic() == null ? sender.replyTopic() : c.responseTopic()),
                    sender.replyTopic());
        } finally {
            if (sender != requester) {
                sender.close();
            }
        }
    }

    /** The whole corpus, answers ignored: what the other tests check comes after it. */
    private static void sendCorpus() throws Exception {
        for (final Case c : cases()) {
            send(c);
        }
    }

    /** The version is on {@code config/updated/<service>}, with user properties free of what clients refuse. */
    private static void assertReachesItsTopic(final String service, final long version) throws Exception {
        final var updated = RetainedReader.receive(broker.port(), "config/updated/" + service);
        assertEquals(
                version,
                Requester.parse(updated.getPayloadAsBytes()).get("version").asLong());
        for (final var property : updated.getUserProperties().asList()) {
            final String value = property.getValue().toString();
            assertTrue(
                    value.codePoints().allMatch(cp -> cp >= 0x20 && cp < 0x7F),
                    "user property " + property.getName() + " = "
                            + value.codePoints().mapToObj(Integer::toHexString).toList());
            assertTrue(value.length() <= 300, property.getName() + " is " + value.length() + " characters");
        }
    }

    @Test
    void storedStateIsByteForByteUnchanged() throws Exception {
        final String before = storedState();
        sendCorpus();
        assertEquals(before, storedState());
        assertEquals(
                50,
                RetainedReader.receiveJson(broker.port(), "config/updated/tts-worker")
                        .get("config")
                        .get("volume_percent")
                        .asInt());
    }

    @Test
    void brokerKeepsServingAfterTheCorpus() throws Exception {
        sendCorpus();
        assertTrue(requester.client().getState().isConnected(), "the hostile client was not even disconnected");
        assertEquals(Optional.of("still here"), requester.echo("plain/after", "still here"));
        final Reply valid = requester.send("set", "svc-after-corpus", "{\"config\":{\"a\":2},\"expected_version\":0}");
        assertTrue(valid.accepted(), valid.envelope().toString());
    }

    /** Every stored version and current config, as text: any change to the stored state changes it. */
    private static String storedState() throws Exception {
        final var sb = new StringBuilder();
        try (Connection db = broker.openDatabase()) {
            for (final String table : List.of("cm_current", "cm_history")) {
                try (ResultSet rs = db.createStatement()
                        .executeQuery("SELECT * FROM " + table + " WHERE service NOT LIKE '" + ACCEPTED_PREFIX
                                + "%' ORDER BY service, version")) {
                    final int columns = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        sb.append(table);
                        for (int i = 1; i <= columns; i++) {
                            sb.append('|').append(rs.getString(i));
                        }
                        sb.append('\n');
                    }
                }
            }
        }
        return sb.toString();
    }
}
