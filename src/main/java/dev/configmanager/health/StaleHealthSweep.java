package dev.configmanager.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.extension.sdk.api.services.publish.RetainedPublish;
import dev.configmanager.config.HealthSettings;
import dev.configmanager.mqtt.RetainedStartScan;
import dev.configmanager.wire.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * At start no client is connected yet, so every retained health that still says {@code ok: true} is left over from
 * before the restart: it becomes {@code ok: false} with event {@code broker_restart}.
 */
final class StaleHealthSweep implements RetainedStartScan.Visitor {

    private static final Logger log = LoggerFactory.getLogger(StaleHealthSweep.class);

    private final HealthPublisher publisher;
    private final String prefix;
    private final TrackedClients tracked;
    private final Queue<String> stale = new ConcurrentLinkedQueue<>();

    StaleHealthSweep(final HealthPublisher publisher, final HealthSettings settings, final TrackedClients tracked) {
        this.publisher = publisher;
        this.prefix = settings.healthPrefix() + "/";
        this.tracked = tracked;
    }

    @Override
    public void visit(final RetainedPublish message) {
        final String topic = message.getTopic();
        if (topic.startsWith(prefix)) {
            final String clientId = topic.substring(prefix.length());
            // health of ids that could never be tracked is the OwnedTopicSweep's to remove
            if (tracked.hasTopicShape(clientId)
                    && !TrackedClients.SELF.equals(clientId)
                    && saysOk(message.getPayload().orElse(null))) {
                stale.add(clientId);
            }
        }
    }

    @Override
    public CompletableFuture<Integer> finish() {
        return CompletableFuture.allOf(stale.stream()
                        .map(id -> publisher.publishIfUntouched(id, false, "broker_restart", null))
                        .toArray(CompletableFuture[]::new))
                .thenApply(ignored -> {
                    log.info("config-manager: {} client(s) marked not ok after the broker restart", stale.size());
                    return stale.size();
                });
    }

    /** {@code data.ok} of an envelope, or a bare {@code ok}, is {@code true}. */
    private static boolean saysOk(final ByteBuffer payload) {
        if (payload == null) {
            return false;
        }
        try {
            final JsonNode node = Json.parse(Json.decodeUtf8(payload));
            final JsonNode ok = node.has("data") ? node.get("data").get("ok") : node.get("ok");
            return ok != null && ok.asBoolean(false);
        } catch (final Exception e) {
            return false;
        }
    }
}
