package dev.configmanager.console;

import dev.configmanager.wire.RequestOrigin;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.extension.sdk.api.services.publish.RetainedMessageStore;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.configmanager.config.ConsoleSettings.Role;
import dev.configmanager.pipeline.RequestParser;
import dev.configmanager.pipeline.SchemaRegistry;
import dev.configmanager.store.AuditRecord;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * {@code /api/...}: routes each call, turns every failure into a JSON error with a proper status (never a stack
 * trace, never a dropped connection), and serves the fleet-wide views (services, audit, clients, status, schemas).
 */
final class ApiHandler implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);

    private final ConfigApi configs;
    private final ConfigStore store;
    private final SchemaRegistry schemas;
    private final ConsoleAuth auth;
    private final RetainedMessageStore retained;
    private final String healthPrefix;
    private final Supplier<String> storeProblem;
    private final int maxBodyBytes;

    ApiHandler(final ConfigApi configs, final ConfigStore store, final SchemaRegistry schemas, final ConsoleAuth auth,
               final RetainedMessageStore retained, final String healthPrefix, final Supplier<String> storeProblem,
               final int maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
        this.configs = configs;
        this.store = store;
        this.schemas = schemas;
        this.auth = auth;
        this.retained = retained;
        this.healthPrefix = healthPrefix;
        this.storeProblem = storeProblem;
    }

    @Override
    public void handle(final HttpExchange exchange) {
        final ApiExchange call = new ApiExchange(exchange);
        try {
            route(call);
        } catch (final ApiExchange.Failure f) {
            respond(call, f.status, f.code, f.getMessage());
        } catch (final StoreUnavailableException e) {
            respond(call, 503, ErrorCode.STORE_UNAVAILABLE.wire(), e.getMessage());
        } catch (final TimeoutException e) {
            respond(call, 503, ErrorCode.STORE_UNAVAILABLE.wire(), "the request timed out");
        } catch (final Exception e) {
            log.error("config-manager: console call {} {} failed", exchange.getRequestMethod(),
                    exchange.getRequestURI().getPath(), e instanceof ExecutionException ? e.getCause() : e);
            respond(call, 500, ErrorCode.INTERNAL.wire(), "internal error; see the broker log");
        } finally {
            exchange.close();
        }
    }

    private void route(final ApiExchange call) throws Exception {
        final String[] route = call.route();
        final String head = route.length > 0 ? route[0] : "";
        if (head.equals("services") && route.length >= 2 && route.length <= 3) {
            final String service = route[1];
            if (!RequestParser.isValidServiceName(service)) {
                throw new ApiExchange.Failure(400, ErrorCode.INVALID_SERVICE_NAME.wire(), "service names match "
                        + RequestParser.SERVICE_NAME.pattern());
            }
            configs.handle(call, service, route.length == 3 ? route[2] : "");
            return;
        }
        if (head.equals("schemas") && route.length == 2 && call.method().equals("PUT")) {
            putSchema(call, route[1]);
            return;
        }
        if (!call.method().equals("GET")) {
            throw new ApiExchange.Failure(405, ErrorCode.INVALID_REQUEST.wire(), "only GET here");
        }
        switch (head + "/" + route.length) {
            case "services/1" -> services(call);
            case "audit/1" -> audit(call);
            case "clients/1" -> clients(call);
            case "status/1" -> status(call);
            case "schemas/2" -> schema(call, route[1]);
            default -> throw new ApiExchange.Failure(404, ErrorCode.NOT_FOUND.wire(), "no such endpoint");
        }
    }

    /**
     * Every service with, from the retained health, how many of its clients are online and offline. A client
     * belongs to a service when its id is the service name or starts with it followed by {@code -} or {@code .}
     * (instances: {@code router-1}, {@code router.eu}).
     */
    private void services(final ApiExchange call) throws Exception {
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

    private void audit(final ApiExchange call) throws Exception {
        auth.authorize(call, Role.READ);
        final ArrayNode list = Json.MAPPER.createArrayNode();
        for (final AuditRecord a : store.audit(call.query("service").orElse(null), call.query("outcome").orElse(null),
                call.intQuery("limit", 100, 10_000))) {
            final ObjectNode row = list.addObject();
            row.put("at", a.at().toString());
            row.put("service", a.service());
            row.put("action", a.action());
            row.put("origin", a.origin().name().toLowerCase(java.util.Locale.ROOT));
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
    private void clients(final ApiExchange call) throws Exception {
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
                        health.put(message.getTopic().substring(prefix.length()),
                                Json.parse(Json.decodeUtf8(payload)));
                    } catch (final Exception ignored) {
                        // not health: not listed
                    }
                });
            }
        }).get(10, TimeUnit.SECONDS);
        return health;
    }

    private void status(final ApiExchange call) throws Exception {
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

    private void schema(final ApiExchange call, final String service) throws Exception {
        auth.authorize(call, Role.READ);
        call.respond(200, schemas.document(service).orElseThrow(() -> new ApiExchange.Failure(404,
                ErrorCode.NOT_FOUND.wire(), "'" + service + "' has no schema")));
    }

    /** Replaces a service's schema (admin): checked against the draft 2020-12 meta-schema, stored durably, audited. */
    private void putSchema(final ApiExchange call, final String service) throws Exception {
        final ConsoleAuth.Caller caller = auth.authorize(call, Role.ADMIN);
        if (!RequestParser.isValidServiceName(service)) {
            throw new ApiExchange.Failure(400, ErrorCode.INVALID_SERVICE_NAME.wire(), "service names match "
                    + RequestParser.SERVICE_NAME.pattern());
        }
        ConfigApi.requireJson(call);
        final java.nio.ByteBuffer body = call.body(maxBodyBytes);
        if (body.remaining() > maxBodyBytes) {
            throw new ApiExchange.Failure(413, ErrorCode.TOO_LARGE.wire(), "the schema is larger than "
                    + maxBodyBytes + " bytes");
        }
        final JsonNode schema;
        try {
            schema = Json.parse(Json.decodeUtf8(body));
        } catch (final Exception e) {
            throw new ApiExchange.Failure(400, ErrorCode.INVALID_JSON.wire(), "the schema is not valid JSON");
        }
        final var problems = schemas.check(schema);
        if (!problems.isEmpty()) {
            final ArrayNode details = Json.MAPPER.createArrayNode();
            problems.forEach(p -> details.addObject().put("path", p.path()).put("message", p.message()));
            call.respondError(422, ErrorCode.SCHEMA_VIOLATION.wire(), "not a usable JSON Schema (draft 2020-12)",
                    details);
            return;
        }
        store.putSchema(service, dev.configmanager.wire.CanonicalJson.write(schema), new AuditRecord(
                java.time.Instant.now(), service, "schema", RequestOrigin.HTTP, "http:" + caller.name(), null,
                "accepted", null, null, null));
        schemas.install(service, schema);
        final ObjectNode answer = Json.object();
        answer.put("service", service);
        answer.set("schema", schema);
        call.respond(200, answer);
    }

    private static void respond(final ApiExchange call, final int status, final String code, final String message) {
        try {
            call.respondError(status, code, message, null);
        } catch (final Exception e) {
            log.debug("config-manager: console answer could not be sent: {}", e.toString());
        }
    }
}
