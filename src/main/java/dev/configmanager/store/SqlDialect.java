package dev.configmanager.store;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What the SQL of the store says differently per database. Everything else (tables, queries, migrations) is plain
 * SQL that H2 and PostgreSQL both take.
 */
enum SqlDialect {
    /** The embedded database: one broker's file, which H2 itself locks against a second process. */
    H2 {
        @Override
        String upsert(final String table, final String columns, final String keyColumn) {
            return "MERGE INTO " + table + " (" + columns + ") KEY (" + keyColumn + ") VALUES ("
                    + "?, ".repeat(columns.split(",").length - 1) + "?)";
        }

        /** One broker writes the file, and its writes of a row come in order: the plain replace. */
        @Override
        String upsertIf(final String table, final String columns, final String keyColumn, final String replaceIf) {
            return upsert(table, columns, keyColumn);
        }

        @Override
        void lockMigrations(final Connection c) {}

        @Override
        void unlockMigrations(final Connection c) {}

        /** H2's own level (6): every read of the transaction sees the database as of its first. */
        @Override
        void snapshotReads(final Connection c) throws SQLException {
            try (var s = c.createStatement()) {
                s.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SNAPSHOT");
            }
        }

        /** One broker's file: nobody else reads its change log, so no commit pays for writing one. */
        @Override
        boolean followedByOthers() {
            return false;
        }
    },

    /** A server several brokers share. */
    POSTGRESQL {
        @Override
        String upsert(final String table, final String columns, final String keyColumn) {
            final String[] names = columns.split(",\\s*");
            final StringBuilder sql = new StringBuilder("INSERT INTO " + table + " (" + columns + ") VALUES (")
                    .append("?, ".repeat(names.length - 1))
                    .append("?) ON CONFLICT (")
                    .append(keyColumn)
                    .append(") DO UPDATE SET ");
            boolean first = true;
            for (final String name : names) {
                if (!name.equals(keyColumn)) {
                    sql.append(first ? "" : ", ")
                            .append(name)
                            .append(" = EXCLUDED.")
                            .append(name);
                    first = false;
                }
            }
            return sql.toString();
        }

        @Override
        String upsertIf(final String table, final String columns, final String keyColumn, final String replaceIf) {
            return upsert(table, columns, keyColumn) + " WHERE " + replaceIf;
        }

        /** Brokers that start together on a new database would otherwise create the same tables at once. */
        @Override
        void lockMigrations(final Connection c) throws SQLException {
            try (var s = c.createStatement()) {
                s.execute("SELECT pg_advisory_lock(" + MIGRATION_LOCK + ")");
            }
        }

        @Override
        void unlockMigrations(final Connection c) throws SQLException {
            try (var s = c.createStatement()) {
                s.execute("SELECT pg_advisory_unlock(" + MIGRATION_LOCK + ")");
            }
        }

        /** PostgreSQL's repeatable read is a snapshot. */
        @Override
        void snapshotReads(final Connection c) throws SQLException {
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        }

        @Override
        boolean followedByOthers() {
            return true;
        }
    };

    /** The PostgreSQL channel that wakes the brokers following the change log, at each commit of new versions. */
    static final String CHANGES_CHANNEL = "cm_changes";

    /** The advisory lock key of the migrations: "cm-migr" in ASCII. */
    private static final long MIGRATION_LOCK = 0x636d2d6d696772L;

    /** Insert-or-replace of one row by its key column, with a {@code ?} per column in {@code columns}' order. */
    abstract String upsert(String table, String columns, String keyColumn);

    /**
     * As {@link #upsert}, but a stored row is replaced only where {@code replaceIf} holds (PostgreSQL SQL over the
     * stored row, named as {@code table}, and the new one, {@code EXCLUDED}): several brokers may write the same row
     * at once on a shared database.
     */
    abstract String upsertIf(String table, String columns, String keyColumn, String replaceIf);

    /** Held while migrations run, so that only one process migrates a database at a time. */
    abstract void lockMigrations(Connection c) throws SQLException;

    abstract void unlockMigrations(Connection c) throws SQLException;

    /** Makes the transactions of {@code c} (a connection of its own) read one snapshot each. */
    abstract void snapshotReads(Connection c) throws SQLException;

    /** Whether other brokers follow this database's change log, so that each commit must write to it. */
    abstract boolean followedByOthers();
}
