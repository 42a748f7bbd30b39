package dev.configmanager.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.extension.sdk.api.services.publish.RetainedMessageStore;
import dev.configmanager.config.HealthSettings;
import dev.configmanager.store.SharedPresence;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.wire.Json;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Every client the fleet's brokers know, with its health: what the console lists and what drift joins with reports.
 * Reads the retained store and (on a shared database) the presence table each time: call it off the broker's threads.
 */
public final class FleetClients {

    private static final Logger log = LoggerFactory.getLogger(FleetClients.class);

    private final RetainedMessageStore retained;
    private final String healthPrefix;
    /** A client's extra health topics: the same client again, not a client of its own. */
    private final Set<String> aliasTopics;

    private final @Nullable SharedPresence presence;

    /**
     * @param presence the clients of every broker on a shared database, or {@code null} where this broker is alone
     *                 (its retained health is then the whole picture)
     */
    public FleetClients(
            final RetainedMessageStore retained, final HealthSettings health, final @Nullable SharedPresence presence) {
        this.retained = retained;
        this.healthPrefix = health.healthPrefix();
        this.aliasTopics = Set.copyOf(health.aliases().values());
        this.presence = presence;
    }

    /**
     * One client's health as the console shows it.
     *
     * @param data  the health status ({@code ok}, {@code event}, {@code err}, {@code timestamp})
     * @param node  the broker it is on, where several share the database
     * @param stale that broker stopped heartbeating: nobody can tell whether the client is still there
     */
    public record ClientState(JsonNode data, @Nullable String node, boolean stale) {
        public boolean online() {
            return !stale && data.path("ok").asBoolean(false);
        }

        /** Which of two brokers' views of one client wins: online, then not stale, then the newer. */
        static ClientState better(final ClientState a, final ClientState b) {
            if (a.online() != b.online()) {
                return a.online() ? a : b;
            }
            if (a.stale != b.stale) {
                return a.stale ? b : a;
            }
            return a.data.path("timestamp").asDouble()
                            >= b.data.path("timestamp").asDouble()
                    ? a
                    : b;
        }
    }

    private static JsonNode data(final JsonNode health) {
        return health.has("data") ? health.get("data") : health;
    }

    /**
     * Client id → its health: this broker's clients from its retained health (current to the moment), the other
     * brokers' from the shared presence; a client seen by several brokers as {@link ClientState#better}.
     */
    public Map<String, ClientState> byClient() throws Exception {
        final Map<String, ClientState> health = new ConcurrentHashMap<>();
        final String prefix = healthPrefix + "/";
        final String self = presence == null ? null : presence.node();
        retained.iterateAllRetainedMessages((context, message) -> {
                    if (message.getTopic().startsWith(prefix) && !aliasTopics.contains(message.getTopic())) {
                        message.getPayload().ifPresent(payload -> {
                            try {
                                health.put(
                                        message.getTopic().substring(prefix.length()),
                                        new ClientState(data(Json.parse(Json.decodeUtf8(payload))), self, false));
                            } catch (final Exception ignored) {
                                // not health: not listed
                            }
                        });
                    }
                })
                .get(10, TimeUnit.SECONDS);
        for (final SharedPresence.ClientPresence p : otherBrokersClients()) {
            if (p.node().equals(self)) {
                continue; // the retained health is this broker's newest word on its own clients
            }
            final ObjectNode data = Json.object();
            data.put("ok", p.online());
            data.put("event", p.event());
            if (p.err() != null) {
                data.put("err", p.err());
            }
            data.put("timestamp", p.timestamp());
            health.merge(p.clientId(), new ClientState(data, p.node(), p.brokerStale()), ClientState::better);
        }
        return health;
    }

    /**
     * The clients the shared presence holds, or none while the database cannot be read: this broker's own clients
     * (from its retained health) are listed all the same.
     */
    private List<SharedPresence.ClientPresence> otherBrokersClients() {
        if (presence == null) {
            return List.of();
        }
        try {
            return presence.clients();
        } catch (final StoreUnavailableException e) {
            log.debug("config-manager: the other brokers' clients cannot be read now: {}", e.getMessage());
            return List.of();
        }
    }
}
