package dev.configmanager.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.extension.sdk.api.services.publish.RetainedPublish;
import dev.configmanager.config.TopicLayout;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.wire.Json;
import dev.configmanager.wire.ServiceName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes the retained {@code config/updated/<service>} topics equal to the database at start: the database is the
 * truth, so a broker whose retained store was wiped, restored from elsewhere, or left behind by a crash gets its
 * config topics back before services read them. Topics already right are left alone.
 */
public final class RetainedConfigSync implements RetainedStartScan.Visitor {

    private static final Logger log = LoggerFactory.getLogger(RetainedConfigSync.class);

    private final ConfigTopicPublisher publisher;
    private final TopicLayout topics;
    private final String epoch;
    private final List<ConfigVersion> all;
    private final Map<String, Claim> present = new ConcurrentHashMap<>();

    /** @param all every service's current version, as the database has it */
    public RetainedConfigSync(
            final ConfigTopicPublisher publisher,
            final TopicLayout topics,
            final String epoch,
            final List<ConfigVersion> all) {
        this.publisher = publisher;
        this.topics = topics;
        this.epoch = epoch;
        this.all = List.copyOf(all);
    }

    /**
     * The sync against what {@code store} holds now; empty (topics served as they are) when it cannot be read.
     */
    public static Optional<RetainedConfigSync> of(
            final ConfigTopicPublisher publisher, final TopicLayout topics, final ConfigStore store) {
        try {
            return Optional.of(new RetainedConfigSync(publisher, topics, store.epoch(), store.allCurrent()));
        } catch (final StoreUnavailableException e) {
            log.error(
                    "config-manager: the current configs could not be read at start ({}); the retained config "
                            + "topics are served as they are",
                    e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * What a retained config message claims to be, for comparison with the database.
     *
     * @param signedAsNow whether it is signed as the publisher signs now
     */
    private record Claim(long version, String checksum, String epoch, boolean signedAsNow) {}

    @Override
    public void visit(final RetainedPublish message) {
        // topics that are no service's are the OwnedTopicSweep's to remove
        topics.serviceOfUpdatedTopic(message.getTopic())
                .filter(ServiceName::isValid)
                .ifPresent(service ->
                        present.put(service, claim(message.getPayload().orElse(null))));
    }

    @Override
    public CompletableFuture<Integer> finish() {
        return reconcile(all, present);
    }

    private CompletableFuture<Integer> reconcile(final List<ConfigVersion> all, final Map<String, Claim> present) {
        final List<CompletableFuture<Void>> work = new ArrayList<>();
        final Set<String> known = new HashSet<>();
        for (final ConfigVersion v : all) {
            known.add(v.service());
            final Claim claim = present.get(v.service());
            if (v.isDeleted()) {
                if (claim != null) {
                    work.add(publisher.publish(v));
                }
            } else if (!new Claim(v.version(), v.checksum(), epoch, true).equals(claim)) {
                work.add(publisher.publish(v));
            }
        }
        for (final String service : present.keySet()) {
            if (!known.contains(service)) {
                work.add(publisher.clearUnknown(service));
            }
        }
        return CompletableFuture.allOf(work.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            log.info(
                    "config-manager: retained config topics match the database ({} service(s), {} republished or "
                            + "cleared)",
                    all.size(),
                    work.size());
            return work.size();
        });
    }

    private Claim claim(final ByteBuffer payload) {
        if (payload == null) {
            return new Claim(-1, null, null, false);
        }
        try {
            final ByteBuffer copy = payload.duplicate();
            final byte[] bytes = new byte[copy.remaining()];
            copy.get(bytes);
            final JsonNode node = Json.parse(new String(bytes, StandardCharsets.UTF_8));
            return new Claim(
                    node.path("version").asLong(-1),
                    node.path("checksum").asText(null),
                    node.path("config_epoch").asText(null),
                    publisher.signedAsNow(node));
        } catch (final Exception e) {
            return new Claim(-1, null, null, false); // unreadable: republished
        }
    }
}
