/**
 * Wiring and lifecycle: builds every part from the settings and registers them with the broker.
 * <p>
 * Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.configmanager;

import org.jspecify.annotations.NullMarked;
