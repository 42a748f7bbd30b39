package dev.configmanager.store;

import dev.configmanager.wire.ConfigResult;

import java.time.Instant;

/**
 * The first answer to a request id, kept in a shared store until {@code expiresAt} so that a retry arriving at another
 * broker is answered with it instead of being applied again.
 */
public record RequestAnswer(String service, String requestId, ConfigResult result, Instant expiresAt) {}
