package dev.configmanager.store;

/**
 * What the SQL of the store says differently per database. Everything else (tables, queries, migrations) is plain
 * SQL that H2 and PostgreSQL both take.
 */
interface SqlDialect {

    /** Insert-or-replace of one row by its key column, with a {@code ?} per column in {@code columns}' order. */
    String upsert(String table, String columns, String keyColumn);

    /** H2: {@code MERGE INTO … KEY (…)}. */
    SqlDialect H2 = (table, columns, keyColumn) -> "MERGE INTO " + table + " (" + columns + ") KEY (" + keyColumn
            + ") VALUES (" + "?, ".repeat(columns.split(",").length - 1) + "?)";
}
