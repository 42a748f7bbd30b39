package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.extension.sdk.api.services.publish.RetainedMessageStore;
import dev.configmanager.config.ConsoleSettings.Role;
import dev.configmanager.store.AuditRecord;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.wire.Json;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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

    FleetApi(
            final ConfigApi configs,
            final ConfigStore store,
            final ConsoleAuth auth,
            final RetainedMessageStore retained,
            final String healthPrefix,
            final Supplier<String> storeProblem) {
        this.configs = configs;
        this.store = store;
        this.auth = auth;
        this.retained = retained;
        this.healthPrefix = healthPrefix;
        this.storeProblem = storeProblem;
    }

    /**
     * Every service with, from the retained health, how many of its clients are online and offline. A client
     * belongs to a service when its id is the service name or starts with it followed by {@code -} or {@code .}
     * (instances: {@code router-1}, {@code router.eu}).
     */
    void services(final ApiExchange call) throws Exception {
        auth.authorize(call, Role.READ);
        final Map<String, JsonNode> health = healthByClient();
        final ArrayNode list = Json.MAPPER.createArrayNode();
        for (final ConfigVersion v : store.allCurrent()) {
            final ObjectNode row = configs.describe(v, false);
            int online = 0;
            int offline = 0;
            for (final Map.Entry<String, JsonNode> client : health.entrySet()) {
                final String id = client.getKey();
                if (id.equals(v.service()) || id.startsWith(v.service() + "-") || id.startsWith(v.service() + ".")) {
                    if (data(client.getValue()).path("ok").asBoolean(false)) {
                        online++;
                    } else {
                        offline++;
                    }
                }
            }
            row.put("clients_online", online);
            row.put("clients_offline", offline);
            list.add(row);
        }
        call.respond(200, list);
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

    /** Every client with retained health: online or not, and since when. */
    void clients(final ApiExchange call) throws Exception {
        auth.authorize(call, Role.READ);
        final ArrayNode list = Json.MAPPER.createArrayNode();
        for (final Map.Entry<String, JsonNode> e : new TreeMap<>(healthByClient()).entrySet()) {
            final JsonNode data = data(e.getValue());
            final ObjectNode row = list.addObject();
            row.put("client_id", e.getKey());
            row.put("online", data.path("ok").asBoolean(false));
            row.set("event", data.get("event"));
            if (data.hasNonNull("err")) {
                row.set("err", data.get("err"));
            }
            row.set("timestamp", data.get("timestamp"));
        }
        call.respond(200, list);
    }

    private static JsonNode data(final JsonNode health) {
        return health.has("data") ? health.get("data") : health;
    }

    /** Client id → its retained health message. */
    private Map<String, JsonNode> healthByClient() throws Exception {
        final Map<String, JsonNode> health = new ConcurrentHashMap<>();
        final String prefix = healthPrefix + "/";
        retained.iterateAllRetainedMessages((context, message) -> {
                    if (message.getTopic().startsWith(prefix)) {
                        message.getPayload().ifPresent(payload -> {
                            try {
                                health.put(
                                        message.getTopic().substring(prefix.length()),
                                        Json.parse(Json.decodeUtf8(payload)));
                            } catch (final Exception ignored) {
                                // not health: not listed
                            }
                        });
                    }
                })
                .get(10, TimeUnit.SECONDS);
        return health;
    }

    void status(final ApiExchange call) throws Exception {
        auth.authorize(call, Role.READ);
        final ObjectNode body = Json.object();
        body.put("extension", "config-manager");
        final String problem = storeProblem.get();
        body.put("store_ok", problem == null);
        if (problem != null) {
            body.put("store_problem", problem);
        }
        body.put("config_epoch", store.epoch());
        body.put("console_tokens", auth.hasTokens());
        call.respond(200, body);
    }
}
