package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.extension.sdk.api.services.publish.RetainedMessageStore;
import dev.configmanager.config.ConsoleSettings.Role;
import dev.configmanager.config.ExtensionVersion;
import dev.configmanager.drift.FleetDrift;
import dev.configmanager.health.FleetClients.ClientState;
import dev.configmanager.health.HealthService;
import dev.configmanager.store.AuditRecord;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.SharedPresence;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The fleet-wide views: every service, the audit log, every client's health, and the extension's status. */
final class FleetApi {

    private final ConfigApi configs;
    private final ConfigStore store;
    private final ConsoleAuth auth;
    private final RetainedMessageStore retained;
    private final String healthPrefix;
    private final Supplier<String> storeProblem;
    private final @Nullable SharedPresence presence;
    private final FleetDrift drift;
    private static final Duration REJECTIONS_FRESH = Duration.ofSeconds(5);
    private @Nullable Map<String, Long> rejections; // guarded by this
    private Instant rejectionsCounted = Instant.EPOCH;

    private final HealthService health;

    /** @param presence this broker's place among those of a shared database, or {@code null} where it is alone */
    FleetApi(
            final ConfigApi configs,
            final ConfigStore store,
            final ConsoleAuth auth,
            final RetainedMessageStore retained,
            final String healthPrefix,
            final Supplier<String> storeProblem,
            final @Nullable SharedPresence presence,
            final HealthService health,
            final FleetDrift drift) {
        this.health = health;
        this.drift = drift;
        this.configs = configs;
        this.store = store;
        this.auth = auth;
        this.retained = retained;
        this.healthPrefix = healthPrefix;
        this.storeProblem = storeProblem;
        this.presence = presence;
    }

    /**
     * Every service with, from the fleet's health, how many of its clients are online and offline (a client is of a
     * service by the {@code <drift>} client patterns: by default {@code router}, {@code router-1}, {@code router.eu}),
     * and its drift counts.
     */
    void services(final ApiExchange call) throws Exception {
        auth.authorize(call, Role.READ);
        final Map<String, ClientState> health = drift.clients().byClient();
        final FleetDrift.Fleet fleet = drift.all(health);
        final Map<String, Set<String>> clientsOf = new HashMap<>();
        fleet.owners()
                .forEach((id, service) ->
                        clientsOf.computeIfAbsent(service, s -> new HashSet<>()).add(id));
        fleet.services()
                .forEach((service, d) -> d.clients()
                        .forEach(c -> clientsOf
                                .computeIfAbsent(service, s -> new HashSet<>())
                                .add(c.clientId())));
        final Map<String, Long> rejected = rejectionsLastHour();
        final ArrayNode list = Json.MAPPER.createArrayNode();
        for (final ConfigVersion v : store.allCurrent()) {
            final ObjectNode row = configs.describe(v, false);
            int online = 0;
            int offline = 0;
            for (final String id : clientsOf.getOrDefault(v.service(), Set.of())) {
                final ClientState state = health.get(id);
                if (state != null && state.online()) {
                    online++;
                } else if (state != null) {
                    offline++;
                }
            }
            row.put("clients_online", online);
            row.put("clients_offline", offline);
            row.put("rejected_last_hour", rejected.getOrDefault(v.service(), 0L));
            final FleetDrift.ServiceDrift d = fleet.services().get(v.service());
            if (d != null) {
                row.set("drift", DriftApi.counts(d));
            }
            list.add(row);
        }
        call.respond(200, list);
    }

    /** Counted at most every few seconds: every open page reads the services at each change. */
    private synchronized Map<String, Long> rejectionsLastHour() throws StoreUnavailableException {
        final Instant now = Instant.now();
        if (rejections == null || rejectionsCounted.plus(REJECTIONS_FRESH).isBefore(now)) {
            rejections = store.rejectionsSince(now.minus(Duration.ofHours(1)));
            rejectionsCounted = now;
        }
        return rejections;
    }

    void audit(final ApiExchange call) throws Exception {
        auth.authorize(call, Role.READ);
        final ArrayNode list = Json.MAPPER.createArrayNode();
        for (final AuditRecord a : store.audit(
                call.query("service").orElse(null),
                call.query("outcome").orElse(null),
                call.intQuery("limit", 100, 10_000))) {
            final ObjectNode row = list.addObject();
            row.put("at", a.at().toString());
            row.put("service", a.service());
            row.put("action", a.action());
            row.put("origin", a.origin().name().toLowerCase(Locale.ROOT));
            row.put("requester", a.requester());
            row.put("request_id", a.requestId());
            row.put("outcome", a.outcome());
            if (a.version() != null) {
                row.put("version", a.version());
            }
            row.put("error_code", a.errorCode());
            row.put("message", a.message());
        }
        call.respond(200, list);
    }

    /**
     * Every client with health: online or not, and since when; on a shared database, of every broker, with the broker
     * it is on ({@code node}) and whether that broker stopped heartbeating ({@code stale}).
     */
    void clients(final ApiExchange call) throws Exception {
        auth.authorize(call, Role.READ);
        final ArrayNode list = Json.MAPPER.createArrayNode();
        for (final Map.Entry<String, ClientState> e :
                new TreeMap<>(drift.clients().byClient()).entrySet()) {
            final ClientState state = e.getValue();
            final JsonNode data = state.data();
            final ObjectNode row = list.addObject();
            row.put("client_id", e.getKey());
            row.put("online", state.online());
            if (state.node() != null) {
                row.put("node", state.node());
                row.put("stale", state.stale());
            }
            row.set("event", data.get("event"));
            if (data.hasNonNull("err")) {
                row.set("err", data.get("err"));
            }
            row.set("timestamp", data.get("timestamp"));
        }
        call.respond(200, list);
    }

    /**
     * {@code DELETE /api/clients/<id>} (admin): forgets a client that is gone now, as {@code <health><forget-after>}
     * would later: its retained health, and so its row. A connected client is not forgotten (409).
     */
    void forget(final ApiExchange call, final String clientId) throws Exception {
        auth.authorize(call, Role.ADMIN);
        if (!health.isClientHealth(clientId)) {
            throw new ApiExchange.Failure(
                    400, ErrorCode.INVALID_REQUEST.wire(), "not the id of a client that has health");
        }
        if (retained.getRetainedMessage(healthPrefix + "/" + clientId)
                .get(10, TimeUnit.SECONDS)
                .isEmpty()) {
            // its health went before (a broker that lost its retained store): what is left of it is its reports
            if (!health.tracker().forget(clientId).get(10, TimeUnit.SECONDS)) {
                throw new ApiExchange.Failure(
                        409, "client_connected", "the client is connected; it can be forgotten once gone");
            }
            if (store.forgetReports(clientId) == 0) {
                throw new ApiExchange.Failure(
                        404, ErrorCode.NOT_FOUND.wire(), "neither health nor reports are kept for this client");
            }
            final ObjectNode body = Json.object();
            body.put("forgotten", clientId);
            call.respond(200, body);
            return;
        }
        if (!health.tracker().forget(clientId).get(10, TimeUnit.SECONDS)) {
            throw new ApiExchange.Failure(
                    409, "client_connected", "the client is connected; it can be forgotten once gone");
        }
        final ObjectNode body = Json.object();
        body.put("forgotten", clientId);
        call.respond(200, body);
    }

    void status(final ApiExchange call) throws Exception {
        auth.authorize(call, Role.READ);
        final ObjectNode body = Json.object();
        body.put("extension", "config-manager");
        body.put("version", ExtensionVersion.get());
        final String problem = storeProblem.get();
        body.put("store_ok", problem == null);
        if (problem != null) {
            body.put("store_problem", problem);
        }
        body.put("config_epoch", store.epoch());
        body.put("console_tokens", auth.hasTokens());
        if (presence != null) {
            body.put("node", presence.node()); // this broker's name among those of a shared database
        }
        call.respond(200, body);
    }
}
