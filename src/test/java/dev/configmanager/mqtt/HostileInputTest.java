package dev.configmanager.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.Requester.Reply;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hostile-input corpus ({@code src/test/resources/hostile/*.case}): every malformed request gets its expected
 * error code, the stored state is byte-for-byte what it was before, and the broker keeps serving.
 * <p>
 * A case file is a header ({@code topic:} after {@code config/}, {@code expect:} the error code, {@code encoding:}
 * text, base64, or repeat with {@code prefix/unit/count/suffix}) then {@code ---} and the payload.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {

    private static final Path CORPUS = Path.of("src/test/resources/hostile");

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();
    static Requester requester;
    static String storedBefore;

    /** One corpus entry. */
    record Case(String name, String topic, String expect, byte[] payload) {
    }

    @BeforeAll
    static void seed() throws Exception {
        requester = new Requester(broker.port(), "hostile-client");
        for (final String[] seed : new String[][]{{"svc-hostile", "{\"a\":1}"}, {"tts-worker", "{\"volume_percent\":50}"},
                {"router", "{\"router_stream_min_chars\":30}"}}) {
            assertTrue(requester.send("set", seed[0], "{\"config\":" + seed[1] + "}").accepted(), seed[0]);
        }
        storedBefore = storedState();
    }

    @AfterAll
    static void close() {
        requester.close();
    }

    @Test
    @Order(1)
    void corpusHasAtLeastAHundredDistinctCases() throws IOException {
        assertTrue(cases().size() >= 100, "corpus size " + cases().size());
        assertEquals(cases().size(), cases().stream().map(c -> c.topic() + new String(c.payload(),
                StandardCharsets.ISO_8859_1)).distinct().count(), "every case is distinct");
    }

    @TestFactory
    @Order(2)
    Stream<DynamicTest> eachMalformedRequestIsRejectedWithItsCode() throws IOException {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            final Reply reply = requester.send(c.topic(), c.payload());
            assertEquals("config.rejected", reply.type(), reply.envelope().toString());
            assertEquals(c.expect(), reply.errorCode(), reply.envelope().toString());
        }));
    }

    @Test
    @Order(3)
    void storedStateIsByteForByteUnchanged() throws Exception {
        assertEquals(storedBefore, storedState());
        assertEquals(50, RetainedReader.receiveJson(broker.port(), "config/updated/tts-worker").get("config")
                .get("volume_percent").asInt());
    }

    @Test
    @Order(4)
    void brokerKeepsServingAfterTheCorpus() throws Exception {
        assertTrue(requester.client().getState().isConnected(), "the hostile client was not even disconnected");
        try (var publishes = requester.client().publishes(MqttGlobalPublishFilter.ALL)) {
            requester.client().subscribeWith().topicFilter("plain/after").qos(MqttQos.AT_LEAST_ONCE).send();
            requester.client().publishWith().topic("plain/after").qos(MqttQos.AT_LEAST_ONCE)
                    .payload("still here".getBytes(StandardCharsets.UTF_8)).send();
            assertEquals("still here", new String(publishes.receive(10, TimeUnit.SECONDS).orElseThrow()
                    .getPayloadAsBytes(), StandardCharsets.UTF_8));
        }
        final Reply valid = requester.send("set", "svc-hostile", "{\"config\":{\"a\":2},\"expected_version\":1}");
        assertTrue(valid.accepted(), valid.envelope().toString());
    }

    /** Every stored version and current config, as text: any change to the stored state changes it. */
    private static String storedState() throws Exception {
        final var sb = new StringBuilder();
        try (Connection db = broker.openDatabase()) {
            for (final String table : List.of("cm_current", "cm_history")) {
                try (ResultSet rs = db.createStatement().executeQuery("SELECT * FROM " + table
                        + " ORDER BY service, version")) {
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

    static List<Case> cases() throws IOException {
        try (Stream<Path> files = Files.list(CORPUS)) {
            return files.filter(p -> p.toString().endsWith(".case")).sorted().map(HostileInputTest::read).toList();
        }
    }

    private static Case read(final Path file) {
        try {
            final String text = Files.readString(file, StandardCharsets.UTF_8);
            final int split = text.indexOf("\n---\n");
            final String body = text.substring(split + 5);
            final var header = new java.util.HashMap<String, String>();
            for (final String line : text.substring(0, split).split("\n")) {
                final int colon = line.indexOf(": ");
                header.put(line.substring(0, colon), line.substring(colon + 2));
            }
            final byte[] payload = switch (header.get("encoding")) {
                case "text" -> body.getBytes(StandardCharsets.UTF_8);
                case "base64" -> Base64.getDecoder().decode(body.trim());
                case "repeat" -> (unescape(header.get("prefix"))
                        + unescape(header.get("unit")).repeat(Integer.parseInt(header.get("count")))
                        + unescape(header.get("suffix"))).getBytes(StandardCharsets.UTF_8);
                default -> throw new IllegalArgumentException("unknown encoding in " + file);
            };
            final String name = file.getFileName().toString().replace(".case", "");
            return new Case(name, header.get("topic"), header.get("expect"), payload);
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The few escapes the corpus headers use: {@code \xHH}, {@code \t}, {@code \n}, {@code \\}. */
    private static String unescape(final String s) {
        final var sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) {
                sb.append(c);
                continue;
            }
            final char n = s.charAt(++i);
            switch (n) {
                case 'x' -> {
                    sb.append((char) Integer.parseInt(s.substring(i + 1, i + 3), 16));
                    i += 2;
                }
                case 't' -> sb.append('\t');
                case 'n' -> sb.append('\n');
                default -> sb.append(n);
            }
        }
        return sb.toString();
    }
}
