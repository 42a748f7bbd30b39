/**
 * The durable truth: ConfigStore, its SQL tables, H2's journalled durability, sealing of secrets.
 * <p>
 * Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.configmanager.store;

import org.jspecify.annotations.NullMarked;
