package dev.configmanager.store;

import org.jspecify.annotations.Nullable;

/**
 * A stored report with the checksum of the version it names, read in the same query.
 *
 * @param versionChecksum the stored checksum of that version; {@code null} when the service has no such version (or it
 *                        is a deletion, which has none)
 */
public record StoredReport(ClientReport report, @Nullable String versionChecksum) {}
