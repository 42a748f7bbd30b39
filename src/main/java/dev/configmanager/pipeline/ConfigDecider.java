package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.config.ExtensionSettings.UnknownServicePolicy;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.ConfigVersion.Change;
import dev.configmanager.store.SealedConfigStore;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigResult.Accepted;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;
import dev.configmanager.wire.Violation;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Decides what a well-formed request does to a service's current state: conflict, not found, schema violation,
 * no-op, or a new version. It reads but never writes; the pipeline commits what it decides.
 */
final class ConfigDecider {

    /** Looks up an old version for rollback. */
    interface History {
        Optional<ConfigVersion> version(String service, long version) throws StoreUnavailableException;
    }

    /**
     * @param newVersion the version to store, {@code null} when nothing is written (rejection or no-op)
     */
    record Decision(ConfigResult result, @Nullable ConfigVersion newVersion) {
        static Decision rejected(final Rejected r) {
            return new Decision(r, null);
        }
    }

    private final SchemaRegistry schemas;
    private final int maxPayloadBytes;
    private final int maxDepth;
    private final UnknownServicePolicy unknownServicePolicy;

    ConfigDecider(final SchemaRegistry schemas, final ExtensionSettings settings) {
        this.schemas = schemas;
        this.maxPayloadBytes = settings.maxPayloadBytes();
        this.maxDepth = settings.maxDepth();
        this.unknownServicePolicy = settings.unknownServicePolicy();
    }

    /**
     * What a config would be stored as, and whether it may be: checked and canonicalized once, before the writer
     * where possible (see {@link #prepare}).
     *
     * @param baseVersion the version a patch was applied to, {@code null} for a set
     * @param problem     why it may not be stored (without the current version, which only the writer knows)
     * @param schemas     the {@link SchemaRegistry#generation} of the service's schema it was checked against
     */
    record Content(
            @Nullable Long baseVersion,
            JsonNode config,
            @Nullable String canonical,
            @Nullable String checksum,
            @Nullable Rejected problem,
            long schemas) {}

    /**
     * The work whose cost depends on what the client sent (merge, schema validation, canonical form, checksum), done
     * before the writer so that the writer's own work per request stays small: for a set always, for a patch when
     * the service's current version is at hand ({@code cached}); {@code null} when it must wait for the writer.
     */
    @Nullable
    Content prepare(final ConfigRequest r, final Optional<ConfigVersion> cached) {
        return switch (r.action()) {
            case SET -> content(r.service(), null, r.document());
            case PATCH ->
                cached.isEmpty() || cached.get().isDeleted()
                        ? null
                        : content(
                                r.service(),
                                cached.get().version(),
                                JsonMergePatch.apply(parse(cached.get()), r.document()));
            default -> null;
        };
    }

    /** The checks and canonical form of a config that would be stored. */
    Content content(final String service, final @Nullable Long baseVersion, final JsonNode config) {
        // read before validating: a schema change during the validation is then seen as one
        final long generation = schemas.generation(service);
        if (JsonLimits.depth(config) > maxDepth) {
            return new Content(
                    baseVersion,
                    config,
                    null,
                    null,
                    Rejected.of(
                            service,
                            ErrorCode.TOO_DEEP,
                            "the resulting config nests deeper than " + maxDepth + " levels"),
                    generation);
        }
        final String canonical = CanonicalJson.write(config);
        final Optional<Rejected> problem = checkContent(service, config, canonical);
        return problem.isPresent()
                ? new Content(baseVersion, config, null, null, problem.get(), generation)
                : new Content(baseVersion, config, canonical, CanonicalJson.sha256Hex(canonical), null, generation);
    }

    /** Whether content checked ahead of the writer still holds: checked against the schemas now in force. */
    private boolean current(final String service, final @Nullable Content prepared) {
        return prepared != null && prepared.schemas() == schemas.generation(service);
    }

    Decision decide(
            final ConfigRequest r,
            final Optional<ConfigVersion> latest,
            final History history,
            final Instant now,
            final @Nullable Content prepared)
            throws StoreUnavailableException {
        final String service = r.service();
        final Long currentVersion =
                latest.filter(v -> !v.isDeleted()).map(ConfigVersion::version).orElse(null);
        if (unknownServicePolicy == UnknownServicePolicy.REJECT && !schemas.hasSchema(service)) {
            return reject(
                    service,
                    ErrorCode.UNKNOWN_SERVICE,
                    "'" + service + "' has no schema and the extension " + "rejects services without one",
                    currentVersion);
        }
        if (r.expectedVersion() != null && r.expectedVersion() != (currentVersion == null ? 0 : currentVersion)) {
            return reject(
                    service,
                    ErrorCode.VERSION_CONFLICT,
                    "expected version " + r.expectedVersion() + " but the current version is "
                            + (currentVersion == null ? "none (no config)" : currentVersion),
                    currentVersion);
        }
        final long nextVersion = latest.map(ConfigVersion::version).orElse(0L) + 1;
        final Content content;
        final Change change;
        switch (r.action()) {
            case SET -> {
                content = current(service, prepared) ? prepared : content(service, null, r.document());
                change = Change.SET;
            }
            case PATCH -> {
                if (currentVersion == null) {
                    return reject(
                            service, ErrorCode.NOT_FOUND, "'" + service + "' has no config to patch; use set", null);
                }
                // prepared on the version that is still current, or done again here on the one that is
                content = current(service, prepared) && currentVersion.equals(prepared.baseVersion())
                        ? prepared
                        : content(service, currentVersion, JsonMergePatch.apply(parse(latest.get()), r.document()));
                change = Change.PATCH;
            }
            case ROLLBACK -> {
                final Optional<ConfigVersion> target = history.version(service, r.toVersion());
                if (target.isEmpty()) {
                    return reject(
                            service,
                            ErrorCode.NOT_FOUND,
                            "'" + service + "' has no version " + r.toVersion(),
                            currentVersion);
                }
                if (target.get().isDeleted()) {
                    return reject(
                            service,
                            ErrorCode.NOT_FOUND,
                            "version " + r.toVersion() + " of '" + service
                                    + "' is a deletion; there is no config to roll back to",
                            currentVersion);
                }
                content = content(service, null, parse(target.get()));
                change = Change.ROLLBACK;
            }
            case DELETE -> {
                if (currentVersion == null) {
                    return reject(service, ErrorCode.NOT_FOUND, "'" + service + "' has no config to delete", null);
                }
                return new Decision(
                        new Accepted(service, nextVersion, null, false),
                        newVersion(r, nextVersion, Change.DELETE, null, null, now));
            }
            default -> throw new IllegalStateException("unknown action " + r.action());
        }
        return decideContent(r, latest, currentVersion, nextVersion, content, change, now);
    }

    /**
     * Size (sealed secrets included) and schema of a config that would be stored; empty when all pass. The rejection
     * carries no current version: the writer, which alone knows it, adds it.
     */
    private Optional<Rejected> checkContent(final String service, final JsonNode config, final String canonical) {
        final int size = canonical.getBytes(StandardCharsets.UTF_8).length;
        if (size > maxPayloadBytes) {
            return Optional.of(Rejected.of(
                    service,
                    ErrorCode.TOO_LARGE,
                    "the resulting config is " + size + " bytes; the limit is " + maxPayloadBytes));
        }
        if (schemas.hasSecrets(service)) {
            // sealed at rest, secrets grow by about a third plus a wrapper each: bounded here, before the writer
            final long sealed = canonical.length()
                    + SealedConfigStore.sealingGrowth(config, schemas.secretLocations(service, config));
            if (sealed > ConfigStore.MAX_CONFIG_CHARS) {
                return Optional.of(Rejected.of(
                        service,
                        ErrorCode.TOO_LARGE,
                        "with its secrets sealed at rest the "
                                + "config would be " + sealed + " characters; the store holds at most "
                                + ConfigStore.MAX_CONFIG_CHARS));
            }
        }
        final List<Violation> violations = schemas.validate(service, config);
        if (!violations.isEmpty()) {
            return Optional.of(new Rejected(
                    service,
                    ErrorCode.SCHEMA_VIOLATION,
                    violations.size() + " schema violation(s) in the config of '" + service + "'",
                    violations,
                    null));
        }
        return Optional.empty();
    }

    private Decision decideContent(
            final ConfigRequest r,
            final Optional<ConfigVersion> latest,
            final Long currentVersion,
            final long nextVersion,
            final Content content,
            final Change change,
            final Instant now) {
        if (content.problem() != null) {
            return Decision.rejected(content.problem().withCurrentVersion(currentVersion));
        }
        final String service = r.service();
        final String checksum = content.checksum();
        if (currentVersion != null && checksum.equals(latest.get().checksum())) {
            return new Decision(new Accepted(service, currentVersion, checksum, true), null);
        }
        return new Decision(
                new Accepted(service, nextVersion, checksum, false),
                newVersion(r, nextVersion, change, content.canonical(), checksum, now));
    }

    private static ConfigVersion newVersion(
            final ConfigRequest r,
            final long version,
            final Change change,
            final String canonical,
            final String checksum,
            final Instant now) {
        return new ConfigVersion(
                r.service(), version, change, canonical, checksum, now, r.requester(), r.requestId(), r.origin());
    }

    private static JsonNode parse(final ConfigVersion stored) {
        try {
            return Json.parse(stored.config());
        } catch (final IOException e) {
            throw new IllegalStateException(
                    "stored config of " + stored.service() + " v" + stored.version() + " is not JSON", e);
        }
    }

    private static Decision reject(
            final String service, final ErrorCode code, final String message, final Long currentVersion) {
        return Decision.rejected(Rejected.of(service, code, message).withCurrentVersion(currentVersion));
    }
}
