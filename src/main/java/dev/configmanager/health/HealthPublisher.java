package dev.configmanager.health;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.services.builder.PublishBuilder;
import com.hivemq.extension.sdk.api.services.publish.PublishService;
import dev.configmanager.concurrent.ChangeNotices;
import dev.configmanager.config.HealthSettings;
import dev.configmanager.mqtt.RetainedSequencer;
import dev.configmanager.store.PresenceLog;
import dev.configmanager.wire.EpochSeconds;
import dev.configmanager.wire.HealthStatus;
import dev.configmanager.wire.Heartbeat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Publishes health (retained, QoS 1) and keepalive (QoS 0) for clients. Health publishes carry the connection epoch
 * they belong to: an event of an older connection never replaces the state of a newer one.
 */
public final class HealthPublisher {

    private static final Logger log = LoggerFactory.getLogger(HealthPublisher.class);

    private final PublishService publishService;
    private final Supplier<PublishBuilder> builders;
    private final HealthSettings settings;
    private final Clock clock;
    private final RetainedSequencer sequencer = new RetainedSequencer();
    private final MetricRegistry metrics;
    private final ConcurrentHashMap<String, Counter> eventCounters = new ConcurrentHashMap<>();
    private final Counter keepalivesSent;
    private final PresenceLog presence;
    private final ChangeNotices notices;

    public HealthPublisher(
            final PublishService publishService,
            final Supplier<PublishBuilder> builders,
            final HealthSettings settings,
            final Clock clock,
            final MetricRegistry metrics,
            final PresenceLog presence,
            final ChangeNotices notices) {
        this.notices = notices;
        this.publishService = publishService;
        this.builders = builders;
        this.settings = settings;
        this.clock = clock;
        this.metrics = metrics;
        this.keepalivesSent = metrics.counter("dev.configmanager.keepalives.sent");
        this.presence = presence;
    }

    /** Publishes {@code ok}/{@code event}/{@code err} for the client's connection {@code epoch}. */
    public CompletableFuture<Void> publish(
            final String clientId, final long epoch, final boolean ok, final String event, final String err) {
        return sequencer.submit(clientId, epoch, () -> send(clientId, ok, event, err));
    }

    /**
     * Publishes health a client sent about itself (already checked against the health contract) for its connection
     * {@code ordinal}: a publish that arrives after that connection's end is skipped.
     */
    public CompletableFuture<Void> relay(
            final String clientId, final long ordinal, final byte[] envelope, final boolean retain) {
        return sequencer.submit(clientId, ordinal, () -> toHealthTopics(clientId, envelope, retain));
    }

    /** Publishes only if no connection of the client has published since start (the restart sweep). */
    public CompletableFuture<Void> publishIfUntouched(
            final String clientId, final boolean ok, final String event, final String err) {
        return sequencer.submitIfUntouched(clientId, () -> send(clientId, ok, event, err));
    }

    /**
     * Removes the client's retained health (on its alias too) and its presence, after whatever was submitted for it
     * before: a client forgotten while gone. A later connection's states are submitted after this, so they stand.
     */
    public CompletableFuture<Void> clear(final String clientId) {
        return sequencer.then(clientId, () -> {
            presence.forget(clientId);
            return toHealthTopics(clientId, new byte[0], true);
        });
    }

    /** After a client's last connection is gone and its final state is published, nothing is kept for it. */
    public void forget(final String clientId, final long epoch) {
        sequencer.forget(clientId, epoch);
    }

    public void keepalive(final String clientId) {
        final var publish = builders.get()
                .topic(settings.keepaliveTopic(clientId))
                .qos(Qos.AT_MOST_ONCE)
                .retain(false)
                .payload(ByteBuffer.wrap(Heartbeat.bytes(EpochSeconds.of(clock.instant()))))
                .build();
        publishService.publish(publish).whenComplete((ok, error) -> {
            if (error != null) {
                log.debug("config-manager: keepalive for '{}' failed: {}", clientId, error.toString());
            }
        });
        keepalivesSent.inc();
    }

    private CompletableFuture<Void> send(
            final String clientId, final boolean ok, final String event, final String err) {
        final var status = HealthStatus.of(ok, event, err, EpochSeconds.of(clock.instant()));
        eventCounters
                .computeIfAbsent(event, e -> metrics.counter("dev.configmanager.health.events." + e))
                .inc();
        presence.record(clientId, status);
        return toHealthTopics(clientId, status.toEnvelopeBytes(), true);
    }

    /** On the client's health topic, and on its alias topic too if it has one, so that both tell the same. */
    private CompletableFuture<Void> toHealthTopics(final String clientId, final byte[] envelope, final boolean retain) {
        final CompletableFuture<Void> sent = toTopics(clientId, envelope, retain);
        // only the retained state is what a client's row shows; a client's own passing reports change nothing there
        return retain ? sent.whenComplete((done, error) -> notices.changed(ChangeNotices.Kind.CLIENT, clientId)) : sent;
    }

    private CompletableFuture<Void> toTopics(final String clientId, final byte[] envelope, final boolean retain) {
        final CompletableFuture<Void> own = publishService.publish(builders.get()
                .topic(settings.healthTopic(clientId))
                .qos(Qos.AT_LEAST_ONCE)
                .retain(retain)
                .payload(ByteBuffer.wrap(envelope))
                .build());
        return settings.aliasTopic(clientId)
                .map(alias -> CompletableFuture.allOf(
                        own,
                        publishService.publish(builders.get()
                                .topic(alias)
                                .qos(Qos.AT_LEAST_ONCE)
                                .retain(retain)
                                .payload(ByteBuffer.wrap(envelope))
                                .build())))
                .orElse(own);
    }
}
