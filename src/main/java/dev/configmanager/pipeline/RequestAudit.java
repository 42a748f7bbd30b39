package dev.configmanager.pipeline;

import dev.configmanager.store.AuditRecord;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigResult.Accepted;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.RequestOrigin;
import org.jspecify.annotations.Nullable;

import java.time.Instant;

/** The one place that turns a request's outcome into its audit line. */
final class RequestAudit {

    private RequestAudit() {}

    static AuditRecord of(final ConfigRequest r, final ConfigResult result, final Instant at) {
        final String action = r.action().topicLevel();
        if (result instanceof Accepted a) {
            return new AuditRecord(
                    at,
                    r.service(),
                    action,
                    r.origin(),
                    r.requester(),
                    r.requestId(),
                    a.noop() ? "noop" : "accepted",
                    a.version(),
                    null,
                    r.auditNote());
        }
        return rejected((Rejected) result, action, r.origin(), r.requester(), r.requestId(), r.auditNote(), at);
    }

    /** A rejection, with {@code note} (what else the audit should say, or {@code null}) after its message. */
    static AuditRecord rejected(
            final Rejected r,
            final String action,
            final RequestOrigin origin,
            final String requester,
            final @Nullable String requestId,
            final @Nullable String note,
            final Instant at) {
        final String message =
                note == null ? r.message() : r.message() == null ? note : r.message() + " (" + note + ")";
        return new AuditRecord(
                at,
                r.service(),
                action,
                origin,
                requester,
                requestId,
                "rejected",
                null,
                r.code().wire(),
                message);
    }
}
