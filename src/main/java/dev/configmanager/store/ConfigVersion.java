package dev.configmanager.store;

import dev.configmanager.wire.RequestOrigin;
import org.jspecify.annotations.Nullable;

import java.time.Instant;

/**
 * One stored version of a service's config. A deletion is a version too (a tombstone with no config), so version
 * numbers are never reused and the history shows when a config went away.
 *
 * @param config    canonical JSON of the config, {@code null} for a deletion
 * @param checksum  SHA-256 hex of {@code config}, {@code null} for a deletion
 * @param updatedBy who asked for it, e.g. {@code mqtt:<client-id>}
 * @param requestId the request id, {@code null} when the requester gave none
 */
public record ConfigVersion(
        String service,
        long version,
        Change change,
        @Nullable String config,
        @Nullable String checksum,
        Instant updatedAt,
        String updatedBy,
        @Nullable String requestId,
        RequestOrigin origin) {

    public enum Change {
        SET,
        PATCH,
        ROLLBACK,
        DELETE
    }

    public boolean isDeleted() {
        return change == Change.DELETE;
    }
}
