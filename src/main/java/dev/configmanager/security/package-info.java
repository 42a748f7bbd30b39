/**
 * Access rules: who may write and read which service, enforced at subscribe, publish and delivery.
 * <p>
 * Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.configmanager.security;

import org.jspecify.annotations.NullMarked;
