/**
 * Moving a whole store: the export document (every version, schema, the epoch, and the audit log if asked), its
 * import into an empty store, and online backups of the embedded database.
 */
@NullMarked
package dev.configmanager.backup;

import org.jspecify.annotations.NullMarked;
