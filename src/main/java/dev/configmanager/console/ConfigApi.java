package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.config.ConsoleSettings.Role;
import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.config.TopicLayout.RequestTopic;
import dev.configmanager.pipeline.ConfigPipeline;
import dev.configmanager.pipeline.ConfigPipeline.Answer;
import dev.configmanager.pipeline.SchemaRegistry;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The per-service part of the API: read a config, write it through the same pipeline as MQTT requests, its history,
 * diffs and rollback, and dry-run validation. Secrets are masked in everything it returns.
 */
final class ConfigApi {

    private final ConfigPipeline pipeline;
    private final ConfigStore store;
    private final SchemaRegistry schemas;
    private final ConsoleAuth auth;
    private final int maxBodyBytes;
    private final Duration timeout;

    ConfigApi(
            final ConfigPipeline pipeline,
            final ConfigStore store,
            final SchemaRegistry schemas,
            final ConsoleAuth auth,
            final int maxBodyBytes,
            final Duration timeout) {
        this.pipeline = pipeline;
        this.store = store;
        this.schemas = schemas;
        this.auth = auth;
        this.maxBodyBytes = maxBodyBytes;
        this.timeout = timeout;
    }

    /** {@code /api/services/<service>[/<part>]}. */
    void handle(final ApiExchange call, final String service, final String part) throws Exception {
        switch (call.method() + " " + part) {
            case "GET " -> get(call, service);
            case "PUT " -> write(call, service, Action.SET);
            case "PATCH " -> write(call, service, Action.PATCH);
            case "DELETE " -> write(call, service, Action.DELETE);
            case "POST rollback" -> write(call, service, Action.ROLLBACK);
            case "GET history" -> history(call, service);
            case "GET diff" -> diff(call, service);
            case "POST validate" -> validate(call, service);
            default -> throw new ApiExchange.Failure(404, ErrorCode.NOT_FOUND.wire(), "no such endpoint");
        }
    }

    private void get(final ApiExchange call, final String service) throws Exception {
        auth.authorize(call, Role.READ);
        final ConfigVersion current = store.current(service)
                .filter(v -> !v.isDeleted())
                .orElseThrow(() ->
                        new ApiExchange.Failure(404, ErrorCode.NOT_FOUND.wire(), "'" + service + "' has no config"));
        call.setHeader("ETag", "\"" + current.version() + "\"");
        call.respond(200, describe(current, true));
    }

    private void write(final ApiExchange call, final String service, final Action action) throws Exception {
        final ConsoleAuth.Caller caller = auth.authorize(call, Role.WRITE);
        if (action != Action.DELETE) {
            requireJson(call);
        }
        final Answer answer = pipeline.submitHttp(
                        new RequestTopic(action, service),
                        unmask(service, action, call.body(maxBodyBytes)),
                        ifMatch(call),
                        call.header("X-Request-Id").orElse(null),
                        "http:" + caller.name())
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (answer.result() instanceof ConfigResult.Accepted a) {
            call.setHeader("ETag", "\"" + a.version() + "\"");
            final ObjectNode body = a.data();
            body.put("request_id", answer.requestId());
            call.respond(200, body);
        } else {
            throw ApiExchange.Failure.of((ConfigResult.Rejected) answer.result());
        }
    }

    /** Puts stored secrets back where an edited config still shows the mask; anything unparsable passes as is. */
    private java.nio.ByteBuffer unmask(final String service, final Action action, final java.nio.ByteBuffer body)
            throws Exception {
        if (!schemas.hasSecrets(service)
                || (action != Action.SET && action != Action.PATCH)
                || body.remaining() > maxBodyBytes) {
            return body;
        }
        final JsonNode edited;
        try {
            edited = Json.parse(Json.decodeUtf8(body));
        } catch (final Exception e) {
            return body; // the pipeline reports what is wrong with it
        }
        final String text = Json.text(edited);
        if (!text.contains(SecretMask.MASK)) {
            return body;
        }
        final Optional<ConfigVersion> current = store.current(service).filter(v -> !v.isDeleted());
        SecretMask.restore(
                edited, current.map(ConfigApi::parse).orElse(null), schemas.secretLocations(service, edited));
        return java.nio.ByteBuffer.wrap(Json.bytes(edited));
    }

    private void history(final ApiExchange call, final String service) throws Exception {
        auth.authorize(call, Role.READ);
        final ArrayNode versions = Json.MAPPER.createArrayNode();
        for (final ConfigVersion v : store.history(service, call.intQuery("limit", 50, 1000))) {
            versions.add(describe(v, true));
        }
        call.respond(200, versions);
    }

    private void diff(final ApiExchange call, final String service) throws Exception {
        auth.authorize(call, Role.READ);
        final ConfigVersion from = version(service, call.intQuery("from", 0, Integer.MAX_VALUE));
        final ConfigVersion to = version(service, call.intQuery("to", 0, Integer.MAX_VALUE));
        final JsonNode fromConfig = parse(from);
        final JsonNode toConfig = parse(to);
        final ArrayNode changes = ConfigDiff.between(
                fromConfig,
                toConfig,
                schemas.secretLocations(service, fromConfig),
                schemas.secretLocations(service, toConfig));
        final ObjectNode body = Json.object();
        body.put("service", service);
        body.put("from", from.version());
        body.put("to", to.version());
        body.set("changes", changes);
        call.respond(200, body);
    }

    private void validate(final ApiExchange call, final String service) throws Exception {
        auth.authorize(call, Role.READ);
        requireJson(call);
        // what would be stored: a secret still shown as the mask is the stored secret, as on save
        final Optional<ConfigResult.Rejected> problem =
                pipeline.dryRun(service, unmask(service, Action.SET, call.body(maxBodyBytes)));
        final ObjectNode body = Json.object();
        body.put("service", service);
        body.put("valid", problem.isEmpty());
        problem.ifPresent(r -> body.set("error", r.data().get("error")));
        call.respond(200, body);
    }

    private ConfigVersion version(final String service, final long version) throws Exception {
        return store.version(service, version)
                .orElseThrow(() -> new ApiExchange.Failure(
                        404, ErrorCode.NOT_FOUND.wire(), "'" + service + "' has no version " + version));
    }

    ObjectNode describe(final ConfigVersion v, final boolean withConfig) {
        final ObjectNode node = Json.object();
        node.put("service", v.service());
        node.put("version", v.version());
        node.put("change", v.change().name().toLowerCase(java.util.Locale.ROOT));
        node.put("deleted", v.isDeleted());
        node.put("checksum", v.checksum());
        node.put("updated_at", v.updatedAt().toString());
        node.put("updated_by", v.updatedBy());
        node.put("request_id", v.requestId());
        node.put("origin", v.origin().name().toLowerCase(java.util.Locale.ROOT));
        if (withConfig) {
            final JsonNode config = parse(v);
            node.set("config", SecretMask.mask(config, List.of(), schemas.secretLocations(v.service(), config)));
        }
        return node;
    }

    /** {@code If-Match: "3"} (or 3): the version the writer saw; {@code 0} means the service must not exist yet. */
    private static Long ifMatch(final ApiExchange call) throws ApiExchange.Failure {
        final Optional<String> header = call.header("If-Match");
        if (header.isEmpty() || header.get().trim().equals("*")) {
            return null;
        }
        try {
            final long v = Long.parseLong(header.get().trim().replace("W/", "").replace("\"", ""));
            if (v >= 0) {
                return v;
            }
        } catch (final NumberFormatException ignored) {
            // answered below
        }
        throw new ApiExchange.Failure(400, ErrorCode.INVALID_REQUEST.wire(), "If-Match must be a version number");
    }

    static void requireJson(final ApiExchange call) throws ApiExchange.Failure {
        if (!call.header("Content-Type")
                .map(t -> t.toLowerCase(java.util.Locale.ROOT).startsWith("application/json"))
                .orElse(false)) {
            throw new ApiExchange.Failure(415, ErrorCode.INVALID_REQUEST.wire(), "the body must be application/json");
        }
    }

    private static JsonNode parse(final ConfigVersion v) {
        if (v.config() == null) {
            return null;
        }
        try {
            return Json.parse(v.config());
        } catch (final IOException e) {
            throw new IllegalStateException("a stored config is not JSON", e);
        }
    }
}
