/**
 * The extension's own threads.
 * <p>
 * Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.configmanager.concurrent;

import org.jspecify.annotations.NullMarked;
