package dev.configmanager.wire;

import java.util.Locale;

/** The rejection codes of the result contract (SPEC §2.3). */
public enum ErrorCode {
    INVALID_JSON,
    INVALID_REQUEST,
    INVALID_SERVICE_NAME,
    SCHEMA_VIOLATION,
    TOO_LARGE,
    TOO_DEEP,
    VERSION_CONFLICT,
    NOT_FOUND,
    NOT_AUTHORIZED,
    UNKNOWN_SERVICE,
    STORE_UNAVAILABLE,
    INTERNAL;

    /** The code as it appears on the wire, e.g. {@code version_conflict}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Transient failures say nothing about the request itself, so they are never remembered for deduplication. */
    public boolean isTransient() {
        return this == STORE_UNAVAILABLE || this == INTERNAL;
    }
}
