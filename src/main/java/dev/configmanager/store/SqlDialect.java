package dev.configmanager.store;

/**
 * What the SQL of the store says differently per database. Everything else (tables, queries, migrations) is plain
 * SQL that H2 and PostgreSQL both take.
 */
interface SqlDialect {

    /** Insert-or-replace of one row by its key column, with a {@code ?} per column in {@code columns}' order. */
    String upsert(String table, String columns, String keyColumn);

    /** PostgreSQL: {@code INSERT … ON CONFLICT (…) DO UPDATE}. */
    SqlDialect POSTGRESQL = (table, columns, keyColumn) -> {
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
    };

    /** H2: {@code MERGE INTO … KEY (…)}. */
    SqlDialect H2 = (table, columns, keyColumn) -> "MERGE INTO " + table + " (" + columns + ") KEY (" + keyColumn
            + ") VALUES (" + "?, ".repeat(columns.split(",").length - 1) + "?)";
}
