package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.config.ConsoleSettings.Role;
import dev.configmanager.pipeline.ConfigPipeline;
import dev.configmanager.pipeline.SchemaRegistry;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code /api/schemas/<service>}: a service's schema, and (admin) a new one, which goes through the pipeline's writer
 * like every config write, so requests decided after it are validated against it and none before it are.
 */
final class SchemaApi {

    private final ConfigPipeline pipeline;
    private final SchemaRegistry schemas;
    private final ConsoleAuth auth;
    private final int maxBodyBytes;
    private final Duration timeout;

    SchemaApi(
            final ConfigPipeline pipeline,
            final SchemaRegistry schemas,
            final ConsoleAuth auth,
            final int maxBodyBytes,
            final Duration timeout) {
        this.pipeline = pipeline;
        this.schemas = schemas;
        this.auth = auth;
        this.maxBodyBytes = maxBodyBytes;
        this.timeout = timeout;
    }

    void get(final ApiExchange call, final String service) throws Exception {
        auth.authorize(call, Role.READ);
        call.respond(
                200,
                schemas.document(service)
                        .orElseThrow(() -> new ApiExchange.Failure(
                                404, ErrorCode.NOT_FOUND.wire(), "'" + service + "' has no schema")));
    }

    /** Replaces a service's schema: checked against the draft 2020-12 meta-schema, stored durably, audited. */
    void put(final ApiExchange call, final String service) throws Exception {
        final ConsoleAuth.Caller caller = auth.authorize(call, Role.ADMIN);
        ConfigApi.requireJson(call);
        final ByteBuffer body = call.body(maxBodyBytes);
        if (body.remaining() > maxBodyBytes) {
            throw new ApiExchange.Failure(
                    413, ErrorCode.TOO_LARGE.wire(), "the schema is larger than " + maxBodyBytes + " bytes");
        }
        final JsonNode schema;
        try {
            schema = Json.parse(Json.decodeUtf8(body));
        } catch (final Exception e) {
            throw new ApiExchange.Failure(400, ErrorCode.INVALID_JSON.wire(), "the schema is not valid JSON");
        }
        final Optional<Rejected> refused =
                pipeline.schemaChanges().change(service, schema, "http:" + caller.name(), timeout);
        if (refused.isPresent()) {
            throw ApiExchange.Failure.of(refused.get());
        }
        final ObjectNode answer = Json.object();
        answer.put("service", service);
        answer.set("schema", schema);
        call.respond(200, answer);
    }
}
