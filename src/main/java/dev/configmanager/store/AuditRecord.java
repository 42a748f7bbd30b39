package dev.configmanager.store;

import dev.configmanager.wire.RequestOrigin;
import org.jspecify.annotations.Nullable;

import java.time.Instant;

/**
 * One line of the audit log: every accepted and rejected write request. Never holds the request's payload.
 *
 * @param outcome   {@code accepted}, {@code noop} or {@code rejected}
 * @param version   the version written (or current, for a no-op), {@code null} for rejections
 * @param errorCode the wire error code for rejections
 */
public record AuditRecord(
        Instant at,
        String service,
        String action,
        RequestOrigin origin,
        String requester,
        @Nullable String requestId,
        String outcome,
        @Nullable Long version,
        @Nullable String errorCode,
        @Nullable String message) {}
