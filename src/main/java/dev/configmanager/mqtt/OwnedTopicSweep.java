package dev.configmanager.mqtt;

import com.hivemq.extension.sdk.api.services.publish.RetainedMessageStore;
import com.hivemq.extension.sdk.api.services.publish.RetainedPublish;
import dev.configmanager.config.OwnedTopics;
import dev.configmanager.config.TopicLayout;
import dev.configmanager.wire.ClientText;
import dev.configmanager.wire.ServiceName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

/**
 * At start, removes every retained message under the extension's topics that this version would never have
 * published: a topic longer than MQTT can encode (HiveMQ stores it, then disconnects every subscriber whose filter
 * matches it, so one such message blinds {@code system/health/#} for good), health of a client id that cannot be
 * tracked, a current config that is not one service's, and any retained request, result or keepalive. Older versions,
 * and clients before the guards were complete, could leave such messages behind; nothing else can remove them.
 */
public final class OwnedTopicSweep implements RetainedStartScan.Visitor {

    private static final Logger log = LoggerFactory.getLogger(OwnedTopicSweep.class);

    private final RetainedMessageStore retained;
    private final OwnedTopics owned;
    private final Predicate<String> healthIdShape;
    private final Queue<String> unservable = new ConcurrentLinkedQueue<>();

    /** @param healthIdShape whether a client id could have a health topic at all (not whether it is tracked now) */
    public OwnedTopicSweep(
            final RetainedMessageStore retained, final OwnedTopics owned, final Predicate<String> healthIdShape) {
        this.retained = retained;
        this.owned = owned;
        this.healthIdShape = healthIdShape;
    }

    @Override
    public void visit(final RetainedPublish message) {
        final String topic = message.getTopic();
        if (owned.isOwned(topic) && !wouldPublish(topic)) {
            unservable.add(topic);
        }
    }

    private boolean wouldPublish(final String topic) {
        if (!OwnedTopics.fitsMqtt(topic)) {
            return false;
        }
        final TopicLayout topics = owned.topics();
        if (TopicLayout.isUnder(topic, topics.updatedPrefix())) {
            return topics.serviceOfUpdatedTopic(topic)
                    .filter(ServiceName::isValid)
                    .isPresent();
        }
        final String health = owned.health().healthPrefix() + "/";
        return topic.startsWith(health) && healthIdShape.test(topic.substring(health.length()));
    }

    @Override
    public CompletableFuture<?> finish() {
        if (!unservable.isEmpty()) {
            final List<String> shown = unservable.stream()
                    .limit(5)
                    .map(t -> ClientText.escape(t, 120))
                    .toList();
            log.warn(
                    "config-manager: removing {} retained message(s) under its own topics that config-manager "
                            + "never publishes (too long to deliver, health of an id that cannot be tracked, "
                            + "retained requests, results or keepalives), e.g. {}",
                    unservable.size(),
                    shown);
        }
        return CompletableFuture.allOf(unservable.stream().map(retained::remove).toArray(CompletableFuture[]::new));
    }
}
