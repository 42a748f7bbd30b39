/**
 * Payload records and the text rules every value a client sends is held to.
 * <p>
 * Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.configmanager.wire;

import org.jspecify.annotations.NullMarked;
