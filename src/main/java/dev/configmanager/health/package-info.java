/**
 * Health and keepalive for every client, from the broker's own connect and disconnect events.
 * <p>
 * Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.configmanager.health;

import org.jspecify.annotations.NullMarked;
