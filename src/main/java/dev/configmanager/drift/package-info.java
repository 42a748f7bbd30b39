/**
 * Desired versus running (SPEC §8): each service's current version joined with what its clients reported they
 * applied and with which of them are online, for the console and the metrics.
 * <p>
 * Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.configmanager.drift;

import org.jspecify.annotations.NullMarked;
