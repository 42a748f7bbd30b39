/**
 * The admin console: the HTTP API and the page, editing through the same pipeline as MQTT requests.
 * <p>
 * Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.configmanager.console;

import org.jspecify.annotations.NullMarked;
