/**
 * The one write path: intake, deduplication, decisions, schemas, and the group-commit writer.
 * <p>
 * Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.configmanager.pipeline;

import org.jspecify.annotations.NullMarked;
