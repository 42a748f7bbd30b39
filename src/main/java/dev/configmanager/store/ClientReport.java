package dev.configmanager.store;

import dev.configmanager.wire.AppliedReport;

import java.time.Instant;

/** The latest report of one client about one service, as stored (one row per client and service). */
public record ClientReport(String service, String clientId, AppliedReport report, Instant reportedAt) {}
