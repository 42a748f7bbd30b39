/**
 * The broker side of config requests: the publish interceptor, config/updated publishing, start-up repairs.
 * <p>
 * Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.configmanager.mqtt;

import org.jspecify.annotations.NullMarked;
