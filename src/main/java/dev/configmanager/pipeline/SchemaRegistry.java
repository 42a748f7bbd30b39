package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.AbsoluteIri;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.resource.InputStreamSource;
import com.networknt.schema.resource.SchemaLoader;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.wire.Json;
import dev.configmanager.wire.ServiceName;
import dev.configmanager.wire.Violation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-service JSON Schemas (draft 2020-12), compiled once. Schemas may only reference each other and the standard
 * meta-schemas: a {@code $ref} to a network address is refused, because validation must never reach out of the broker.
 */
public final class SchemaRegistry {

    private static final Logger log = LoggerFactory.getLogger(SchemaRegistry.class);
    private static final String META_SCHEMA = "https://json-schema.org/draft/2020-12/schema";

    private final JsonSchemaFactory factory;
    private final SchemaValidatorsConfig config;
    /** One immutable snapshot, replaced whole when a schema changes: validation never sees half a change. */
    private volatile Map<String, Compiled> schemas;
    /** Numbers the schemas installed after start, so that each one put in force has a generation of its own. */
    private long installed; // guarded by this

    /**
     * A service's schema and its secret fields, or the reason it cannot be used.
     *
     * @param generation which installation of the service's schema this is (see {@link #generation})
     */
    private record Compiled(
            JsonSchema schema, JsonNode document, SecretSchema secrets, String problem, long generation) {
        Compiled(final JsonSchema schema, final JsonNode document, final SecretSchema secrets, final String problem) {
            this(schema, document, secrets, problem, 0);
        }

        Compiled installed(final long generation) {
            return new Compiled(schema, document, secrets, problem, generation);
        }
    }

    private SchemaRegistry(
            final JsonSchemaFactory factory, final SchemaValidatorsConfig config, final Map<String, Compiled> schemas) {
        this.factory = factory;
        this.config = config;
        this.schemas = Map.copyOf(schemas);
    }

    public static SchemaRegistry empty() {
        return new SchemaRegistry(newFactory(), newConfig(), Map.of());
    }

    /** Loads every {@code <service>.json} in {@code folder}; a missing folder means no schemas. */
    public static SchemaRegistry load(final Path folder) {
        final JsonSchemaFactory factory = newFactory();
        final SchemaValidatorsConfig config = newConfig();
        final Map<String, Compiled> schemas = new HashMap<>();
        if (!Files.isDirectory(folder)) {
            log.info(
                    "config-manager: no schema folder at {}; every service is validated by size and depth only",
                    folder);
            return new SchemaRegistry(factory, config, schemas);
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*.json")) {
            final List<Path> sorted = new ArrayList<>();
            files.forEach(sorted::add);
            sorted.sort(Comparator.naturalOrder());
            for (final Path file : sorted) {
                final String name = file.getFileName().toString();
                final String service = name.substring(0, name.length() - ".json".length());
                if (!ServiceName.isValid(service)) {
                    log.warn("config-manager: ignoring schema {}: '{}' is not a valid service name", file, service);
                    continue;
                }
                final Compiled compiled = compileFile(factory, config, file);
                if (compiled.problem() != null) {
                    log.error(
                            "config-manager: schema {} is unusable, so every write to '{}' is rejected until it is "
                                    + "fixed: {}",
                            file,
                            service,
                            compiled.problem());
                }
                schemas.put(service, compiled);
            }
        } catch (final IOException e) {
            log.error("config-manager: cannot list schema folder {}: {}", folder, e.getMessage());
        }
        log.info("config-manager: loaded {} schema(s) from {}", schemas.size(), folder);
        return new SchemaRegistry(factory, config, schemas);
    }

    /** The schema document of a service, as loaded. */
    public java.util.Optional<JsonNode> document(final String service) {
        return java.util.Optional.ofNullable(schemas.get(service)).map(Compiled::document);
    }

    public boolean hasSchema(final String service) {
        return schemas.containsKey(service);
    }

    /** Every violation of the service's schema; empty when the config is valid or the service has no schema. */
    public List<Violation> validate(final String service, final JsonNode config) {
        final Compiled compiled = schemas.get(service);
        if (compiled == null) {
            return List.of();
        }
        if (compiled.problem() != null) {
            return List.of(new Violation("", "the schema of '" + service + "' is unusable: " + compiled.problem()));
        }
        try {
            return BoundedRegex.within(() -> violations(compiled.schema().validate(config)));
        } catch (final BoundedRegex.BudgetSpent e) {
            return List.of(new Violation(
                    "",
                    "validation stopped: the schema's patterns needed more than "
                            + BoundedRegex.STEPS_PER_VALIDATION + " steps on this config (a pattern that backtracks); "
                            + "nothing was stored"));
        }
    }

    /**
     * Installs schemas set through the console over those from files; a stored schema that no longer compiles is
     * reported and its service's writes are rejected until it is replaced.
     */
    public synchronized void applyStored(final Map<String, String> stored) {
        final Map<String, Compiled> next = new HashMap<>(schemas);
        stored.forEach((service, json) -> {
            try {
                final Compiled compiled = compile(factory, config, Json.parse(json));
                if (compiled.problem() != null) {
                    log.error("config-manager: the stored schema of '{}' is unusable: {}", service, compiled.problem());
                }
                next.put(service, compiled.installed(++installed));
            } catch (final IOException e) {
                log.error("config-manager: the stored schema of '{}' is not JSON", service);
            }
        });
        schemas = Map.copyOf(next);
        if (!stored.isEmpty()) {
            log.info("config-manager: {} schema(s) set through the console are in force", stored.size());
        }
    }

    /** Applies the schemas set through the console, as {@code store} holds them (see {@link #applyStored}). */
    public void applyStoredFrom(final ConfigStore store) {
        try {
            applyStored(store.schemas());
        } catch (final StoreUnavailableException e) {
            log.error(
                    "config-manager: schemas set through the console could not be read ({}); the files in "
                            + "conf/schemas apply",
                    e.getMessage());
        }
    }

    /** Every reason {@code schema} is not a usable draft 2020-12 schema; empty when it is. */
    public List<Violation> check(final JsonNode schema) {
        final Compiled compiled = compile(factory, config, schema);
        return compiled.problem() == null ? List.of() : List.of(new Violation("", compiled.problem()));
    }

    /** Makes {@code schema} the service's schema (call after it is stored, and only if {@link #check} passed). */
    public synchronized void install(final String service, final JsonNode schema) {
        final Map<String, Compiled> next = new HashMap<>(schemas);
        next.put(service, compile(factory, config, schema).installed(++installed));
        schemas = Map.copyOf(next);
    }

    /**
     * Which schema of {@code service} is in force: it changes whenever that schema does (and only then), so work
     * checked against one generation can tell whether it must be checked again. {@code 0}: the schema it had at start,
     * or none.
     */
    public long generation(final String service) {
        final Compiled compiled = schemas.get(service);
        return compiled == null ? 0 : compiled.generation();
    }

    private static Compiled compileFile(
            final JsonSchemaFactory factory, final SchemaValidatorsConfig config, final Path file) {
        try {
            return compile(factory, config, Json.MAPPER.readTree(Files.readAllBytes(file)));
        } catch (final IOException e) {
            return new Compiled(null, null, SecretSchema.NONE, e.getMessage());
        }
    }

    private static Compiled compile(
            final JsonSchemaFactory factory, final SchemaValidatorsConfig config, final JsonNode node) {
        try {
            if (!node.isObject()) {
                return new Compiled(null, node, SecretSchema.NONE, "a schema must be a JSON object");
            }
            final JsonSchema meta = factory.getSchema(SchemaLocation.of(META_SCHEMA), config);
            final List<Violation> metaViolations = violations(meta.validate(node));
            if (!metaViolations.isEmpty()) {
                // still masked and sealed where it says writeOnly: a broken schema must not expose stored secrets
                return new Compiled(
                        null, node, SecretSchema.of(node), "not a valid draft 2020-12 schema: " + metaViolations);
            }
            final JsonSchema schema = factory.getSchema(node, config);
            schema.initializeValidators();
            return new Compiled(schema, node, SecretSchema.of(node), null);
        } catch (final Exception e) {
            return new Compiled(
                    null, node, node.isObject() ? SecretSchema.of(node) : SecretSchema.NONE, e.getMessage());
        }
    }

    /**
     * Where {@code config} holds the service's secrets (see {@link SecretSchema}): keys and array indices from the
     * root, outermost first.
     */
    public List<List<String>> secretLocations(final String service, final JsonNode config) {
        final Compiled compiled = schemas.get(service);
        return compiled == null ? List.of() : compiled.secrets().locate(config);
    }

    /** Whether the service's schema marks anything {@code writeOnly}. */
    public boolean hasSecrets(final String service) {
        final Compiled compiled = schemas.get(service);
        return compiled != null && !compiled.secrets().isEmpty();
    }

    private static List<Violation> violations(final java.util.Set<ValidationMessage> messages) {
        final List<Violation> list = new ArrayList<>(messages.size());
        for (final ValidationMessage m : messages) {
            list.add(new Violation(m.getInstanceLocation().toString(), m.getError()));
        }
        list.sort(Comparator.comparing(Violation::path).thenComparing(Violation::message));
        return list;
    }

    private static JsonSchemaFactory newFactory() {
        return JsonSchemaFactory.getInstance(
                SpecVersion.VersionFlag.V202012,
                builder -> builder.schemaLoaders(loaders -> loaders.add(new LocalOnlyLoader())));
    }

    private static SchemaValidatorsConfig newConfig() {
        return SchemaValidatorsConfig.builder()
                .regularExpressionFactory(new BoundedRegex())
                .pathType(PathType.JSON_POINTER)
                .formatAssertionsEnabled(true)
                .locale(Locale.ENGLISH)
                .build();
    }

    /** Lets the bundled meta-schemas load from the classpath and refuses everything else. */
    private static final class LocalOnlyLoader implements SchemaLoader {
        @Override
        public InputStreamSource getSchema(final AbsoluteIri iri) {
            final String s = iri.toString();
            if (s.startsWith("classpath:")) {
                return null; // the default classpath loader serves it
            }
            throw new com.networknt.schema.InvalidSchemaException(ValidationMessage.builder()
                    .message("loading schema ''{1}'' is not allowed: config-manager schemas may not reference remote "
                            + "documents")
                    .arguments(s)
                    .build());
        }
    }
}
