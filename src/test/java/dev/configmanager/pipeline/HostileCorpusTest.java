package dev.configmanager.pipeline;

import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.config.TopicLayout;
import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.config.TopicLayout.RequestTopic;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.support.HostileCorpus;
import dev.configmanager.support.HostileCorpus.Case;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.Json;
import dev.configmanager.wire.RequestOrigin;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The hostile-input corpus against the parser and the decider directly, as the broker test's seed state leaves them
 * (the shipped schemas; svc-hostile, tts-worker and router at version 1): every case gets its error code in
 * milliseconds, and one that the parser lets through is one that only the current state or a schema can refuse.
 */
@Tag("unit")
class HostileCorpusTest {

    private static final Map<String, String> SEEDS = Map.of(
            "svc-hostile",
            "{\"a\":1}",
            "tts-worker",
            "{\"volume_percent\":50}",
            "router",
            "{\"router_stream_min_chars\":30}");
    private static final TopicLayout TOPICS = ExtensionSettings.defaults().topics();

    private final SchemaRegistry schemas = SchemaRegistry.load(Path.of("src/hivemq-extension/conf/schemas"));
    private final ConfigDecider decider = new ConfigDecider(schemas, ExtensionSettings.defaults());
    private final RequestParser parser = new RequestParser(
            ExtensionSettings.defaults().maxPayloadBytes(),
            ExtensionSettings.defaults().maxDepth());

    @TestFactory
    Stream<DynamicTest> eachHostileRequestGetsItsCodeWithoutABroker() throws IOException {
        return HostileCorpus.cases().stream()
                .filter(c -> !c.expect().equals("accepted")) // those are about client ids: the broker test's
                .map(c -> DynamicTest.dynamicTest(c.name(), () -> assertEquals(c.expect(), codeOf(c))));
    }

    private String codeOf(final Case c) throws Exception {
        final RequestTopic topic =
                TOPICS.parseRequest("config/" + c.topic()).orElseGet(() -> new RequestTopic(Action.UNKNOWN, c.topic()));
        final RequestParser.Parsed parsed =
                parser.parse(topic, ByteBuffer.wrap(c.payload()), "mqtt:corpus", RequestOrigin.MQTT);
        if (parsed instanceof RequestParser.Parsed.Failed failed) {
            return failed.rejection().code().wire();
        }
        final ConfigRequest request = ((RequestParser.Parsed.Ok) parsed).request();
        final Optional<ConfigVersion> current =
                Optional.ofNullable(SEEDS.get(request.service())).map(config -> seed(request.service(), config));
        final ConfigResult result = decider.decide(
                        request,
                        current,
                        (service, version) -> version == 1 ? current : Optional.empty(),
                        Instant.now(),
                        decider.prepare(request, current))
                .result();
        return assertInstanceOf(Rejected.class, result, c.name() + " was accepted")
                .code()
                .wire();
    }

    private static ConfigVersion seed(final String service, final String config) {
        final String canonical;
        try {
            canonical = CanonicalJson.write(Json.parse(config));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ConfigVersion(
                service,
                1,
                ConfigVersion.Change.SET,
                canonical,
                CanonicalJson.sha256Hex(canonical),
                Instant.now(),
                "test",
                null,
                RequestOrigin.MQTT);
    }
}
