package dev.configmanager.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.extension.sdk.api.services.publish.RetainedMessageStore;
import dev.configmanager.config.HealthSettings;
import dev.configmanager.wire.EpochSeconds;
import dev.configmanager.wire.Json;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Forgets clients gone for longer than {@code <health><forget-after>}: their retained health goes, and with it their
 * row in the console. Every throwaway client id (each {@code mosquitto_pub} without {@code -i}) would otherwise leave a
 * retained {@code ok: false} behind for good. A client that is connected, or whose last state is not a disconnect
 * that old, is left alone.
 */
final class DepartedClients {

    private static final Logger log = LoggerFactory.getLogger(DepartedClients.class);
    private static final Duration LONGEST_PAUSE = Duration.ofHours(1);
    private static final Duration SHORTEST_PAUSE = Duration.ofSeconds(1);

    private final RetainedMessageStore retained;
    private final HealthSettings settings;
    private final TrackedClients tracked;
    private final ClientHealthTracker tracker;
    private final Clock clock;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private @Nullable ScheduledFuture<?> task;

    DepartedClients(
            final RetainedMessageStore retained,
            final HealthSettings settings,
            final TrackedClients tracked,
            final ClientHealthTracker tracker,
            final Clock clock) {
        this.retained = retained;
        this.settings = settings;
        this.tracked = tracked;
        this.tracker = tracker;
        this.clock = clock;
    }

    /** Looks every half {@code forget-after} (between a second and an hour); not at all when it is 0. */
    void start(final ScheduledExecutorService scheduler) {
        final Duration after = settings.forgetAfter();
        if (after.isZero()) {
            return;
        }
        Duration pause = after.dividedBy(2);
        pause = pause.compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause;
        pause = pause.compareTo(SHORTEST_PAUSE) < 0 ? SHORTEST_PAUSE : pause;
        task = scheduler.scheduleWithFixedDelay(
                this::sweepContained, pause.toMillis(), pause.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }

    /**
     * Never waits on the scheduler's thread (the broker's own executor, which must stay free to stop), and never runs
     * two passes at once.
     */
    private void sweepContained() {
        if (!sweeping.compareAndSet(false, true)) {
            return;
        }
        try {
            sweep().whenComplete((count, error) -> {
                sweeping.set(false);
                if (error != null) {
                    log.warn("config-manager: forgetting departed clients failed this time: {}", error.toString());
                }
            });
        } catch (final RuntimeException e) {
            sweeping.set(false);
            log.warn("config-manager: forgetting departed clients failed this time: {}", e.toString());
        }
    }

    /** One pass: the ids whose retained health is a disconnect older than {@code forget-after}, forgotten. */
    CompletableFuture<Integer> sweep() {
        final String prefix = settings.healthPrefix() + "/";
        final BigDecimal before = EpochSeconds.of(clock.instant().minus(settings.forgetAfter()));
        final Queue<String> departed = new ConcurrentLinkedQueue<>();
        return retained.iterateAllRetainedMessages((context, message) -> {
                    final String topic = message.getTopic();
                    if (!topic.startsWith(prefix)) {
                        return;
                    }
                    final String clientId = topic.substring(prefix.length());
                    if (tracked.hasTopicShape(clientId)
                            && !TrackedClients.SELF.equals(clientId)
                            && goneSince(message.getPayload().orElse(null), before)) {
                        departed.add(clientId);
                    }
                })
                .thenCompose(ignored -> {
                    final List<CompletableFuture<Boolean>> forgotten =
                            departed.stream().map(tracker::forget).toList();
                    return CompletableFuture.allOf(forgotten.toArray(CompletableFuture[]::new))
                            .thenApply(done -> (int) forgotten.stream()
                                    .filter(CompletableFuture::join)
                                    .count());
                })
                .thenApply(count -> {
                    if (count > 0) {
                        log.info(
                                "config-manager: forgot {} client(s) gone for more than {}",
                                count,
                                settings.forgetAfter());
                    }
                    return count;
                });
    }

    /** A health envelope whose {@code data.ok} is false, stamped before {@code before}. */
    private static boolean goneSince(final @Nullable ByteBuffer payload, final BigDecimal before) {
        if (payload == null) {
            return false;
        }
        try {
            final JsonNode data = Json.parse(Json.decodeUtf8(payload)).path("data");
            return data.path("ok").isBoolean()
                    && !data.path("ok").booleanValue()
                    && data.path("timestamp").isNumber()
                    && data.path("timestamp").decimalValue().compareTo(before) < 0;
        } catch (final Exception e) {
            return false;
        }
    }
}
