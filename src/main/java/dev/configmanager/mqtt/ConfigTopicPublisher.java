package dev.configmanager.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.services.builder.PublishBuilder;
import com.hivemq.extension.sdk.api.services.publish.Publish;
import com.hivemq.extension.sdk.api.services.publish.PublishService;
import dev.configmanager.concurrent.ChangeNotices;
import dev.configmanager.config.TopicLayout;
import dev.configmanager.pipeline.ConfigPipeline.Answer;
import dev.configmanager.pipeline.ConfigPublication;
import dev.configmanager.security.SigningKey;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.ClientText;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigUpdated;
import dev.configmanager.wire.EpochSeconds;
import dev.configmanager.wire.ServiceName;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Everything the extension publishes about configs: the retained {@code config/updated/<service>} and the results
 * sent to requesters. Publishes for one service go through a {@link RetainedSequencer}, so the retained message always
 * ends on the newest version even when versions follow each other faster than the broker stores them.
 */
public final class ConfigTopicPublisher implements ConfigPublication {

    private static final Logger log = LoggerFactory.getLogger(ConfigTopicPublisher.class);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final PublishService publishService;
    private final Supplier<PublishBuilder> builders;
    private final TopicLayout topics;
    /** Asked at each publish: a database opened after start has its epoch only then (nothing is published before). */
    private final Supplier<String> epoch;

    private final Clock clock;
    /** Signs every {@code config/updated}, or {@code null}: signing is off. */
    private final @Nullable SigningKey signer;

    private final RetainedSequencer sequencer = new RetainedSequencer();
    private final ChangeNotices notices;

    public ConfigTopicPublisher(
            final PublishService publishService,
            final Supplier<PublishBuilder> builders,
            final TopicLayout topics,
            final Supplier<String> epoch,
            final Clock clock,
            final @Nullable SigningKey signer,
            final ChangeNotices notices) {
        this.notices = notices;
        this.publishService = publishService;
        this.builders = builders;
        this.topics = topics;
        this.epoch = epoch;
        this.clock = clock;
        this.signer = signer;
    }

    /**
     * Whether a retained {@code config/updated} body carries the signature this broker would give it now: with
     * signing off, any; with signing on, a valid signature by the current key (one published before signing was
     * turned on, or under another key, is published again at start).
     */
    public boolean signedAsNow(final JsonNode body) {
        if (signer == null) {
            return true;
        }
        final JsonNode signature = body.get("signature");
        final JsonNode config = body.get("config");
        if (signature == null || !signature.isTextual() || config == null) {
            return false;
        }
        try {
            final var update = new ConfigUpdated(
                    body.path("service").asText(),
                    CanonicalJson.write(config),
                    body.path("version").asLong(),
                    body.path("config_epoch").asText(),
                    body.path("checksum").asText(),
                    OffsetDateTime.parse(body.path("issued_at").asText()).toInstant(),
                    null);
            return signer.signed(update.signedText(), signature.textValue());
        } catch (final DateTimeParseException | IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public CompletableFuture<Void> publish(final ConfigVersion version) {
        return noticed(
                version.service(), sequencer.submit(version.service(), version.version(), () -> sendNow(version)));
    }

    /** The version on its retained topic now: its config, or for a deletion no retained message at all. */
    private CompletableFuture<Void> sendNow(final ConfigVersion version) {
        return version.isDeleted() ? clearNow(version.service()) : publishService.publish(updated(version));
    }

    /** Once {@code published} is done, whoever follows changes hears that {@code service} changed. */
    private CompletableFuture<Void> noticed(final String service, final CompletableFuture<Void> published) {
        return published.whenComplete((done, error) -> notices.changed(ChangeNotices.Kind.SERVICE, service));
    }

    /**
     * A version committed by another broker on the shared database (or by this one, seen again through the change
     * feed): published unless this version or a newer one already was.
     */
    public CompletableFuture<Void> publishIfNewer(final ConfigVersion version) {
        return noticed(
                version.service(),
                sequencer.submitIfNewer(version.service(), version.version(), () -> sendNow(version)));
    }

    /**
     * Removes a retained config that the database does not know, unless a version of that service has been
     * published since the caller looked.
     */
    public CompletableFuture<Void> clearUnknown(final String service) {
        return sequencer.submitIfUntouched(service, () -> clearNow(service));
    }

    /**
     * Sends a result to the request's MQTT 5 response topic (already vetted by the caller), or else, if
     * {@code toResultTopic}, to {@code config/result/<service>}. A rejection whose topic had no service name to speak
     * of goes only to a response topic: the client's text is never made into a topic.
     */
    public void publishResult(
            final Answer answer,
            final Optional<String> responseTopic,
            final boolean toResultTopic,
            final Optional<ByteBuffer> correlationData) {
        final String service = answer.result().service();
        if (answer.result() instanceof ConfigResult.Rejected && ServiceName.isValid(service)) {
            notices.changed(ChangeNotices.Kind.SERVICE, service); // its count of rejections changed
        }
        final Optional<String> resultTopic = toResultTopic && ServiceName.isValid(service)
                ? Optional.of(topics.resultTopic(service))
                : Optional.empty();
        final Optional<String> topic = responseTopic.or(() -> resultTopic);
        if (topic.isEmpty()) {
            log.debug("config-manager: result of request {} has no topic to go to", answer.requestId());
            return;
        }
        final byte[] payload = answer.result()
                .toEnvelope(answer.requestId(), EpochSeconds.of(clock.instant()))
                .toBytes();
        Publish publish;
        try {
            publish = result(topic.get(), payload, correlationData);
        } catch (final IllegalArgumentException e) {
            // a response topic the broker refuses to publish to: fall back to the service's result topic
            if (resultTopic.isEmpty() || topic.equals(resultTopic)) {
                return;
            }
            publish = result(resultTopic.get(), payload, correlationData);
        }
        publishService.publish(publish).whenComplete((ok, error) -> {
            if (error != null) {
                log.warn(
                        "config-manager: result of request {} could not be published: {}",
                        answer.requestId(),
                        error.toString());
            }
        });
    }

    private Publish result(final String topic, final byte[] payload, final Optional<ByteBuffer> correlationData) {
        final PublishBuilder b =
                builders.get().qos(Qos.AT_LEAST_ONCE).retain(false).topic(topic).payload(ByteBuffer.wrap(payload));
        correlationData.ifPresent(c -> b.correlationData(c.asReadOnlyBuffer()));
        return b.build();
    }

    private Publish updated(final ConfigVersion v) {
        final var unsigned = new ConfigUpdated(
                v.service(),
                v.config(),
                v.version(),
                epoch.get(),
                v.checksum(),
                clock.instant().truncatedTo(ChronoUnit.MILLIS),
                null);
        final var body = signer == null ? unsigned : unsigned.signedWith(signer.sign(unsigned.signedText()));
        final PublishBuilder b = builders.get()
                .topic(topics.updatedTopic(v.service()))
                .qos(Qos.AT_LEAST_ONCE)
                .retain(true)
                .payload(ByteBuffer.wrap(body.toBytes()))
                .contentType("application/json")
                .userProperty("version", Long.toString(v.version()))
                .userProperty("checksum", v.checksum())
                // escaped again here, not only at intake: versions stored by older releases hold the raw text, and
                // one refused property would keep the version off its topic for good
                .userProperty("updated-by", ClientText.escape(v.updatedBy(), 256));
        if (v.requestId() != null) {
            b.userProperty("request-id", ClientText.escape(v.requestId(), 128));
        }
        return b.build();
    }

    private CompletableFuture<Void> clearNow(final String service) {
        return publishService.publish(builders.get()
                .topic(topics.updatedTopic(service))
                .qos(Qos.AT_LEAST_ONCE)
                .retain(true)
                .payload(EMPTY.duplicate())
                .build());
    }
}
