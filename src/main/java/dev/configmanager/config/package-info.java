/**
 * The extension's own settings (conf/config.xml), the topic layout and the topics the extension owns.
 * <p>
 * Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.configmanager.config;

import org.jspecify.annotations.NullMarked;
