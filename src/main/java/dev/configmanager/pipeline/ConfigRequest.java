package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.wire.RequestOrigin;
import org.jspecify.annotations.Nullable;

/**
 * A well-formed config request, from MQTT or the console: the one shape the pipeline decides on.
 *
 * @param document        the new config (set) or the merge patch (patch); {@code null} for rollback and delete
 * @param toVersion       the version to roll back to; {@code 0} unless rollback
 * @param expectedVersion optimistic concurrency: {@code 0} means "must not exist", {@code null} means "any"
 * @param requestId       the requester's id for this request, {@code null} if it gave none
 * @param requester       who asks, e.g. {@code mqtt:<client-id>}
 * @param auditNote       what the audit log should say about the request besides its outcome (e.g. that its response
 *                        topic was refused), or {@code null}
 */
public record ConfigRequest(
        Action action,
        String service,
        @Nullable JsonNode document,
        long toVersion,
        @Nullable Long expectedVersion,
        @Nullable String requestId,
        String requester,
        RequestOrigin origin,
        @Nullable String auditNote) {

    ConfigRequest withRequestId(final String id) {
        return new ConfigRequest(
                action, service, document, toVersion, expectedVersion, id, requester, origin, auditNote);
    }

    ConfigRequest withAuditNote(final @Nullable String note) {
        return new ConfigRequest(
                action, service, document, toVersion, expectedVersion, requestId, requester, origin, note);
    }
}
