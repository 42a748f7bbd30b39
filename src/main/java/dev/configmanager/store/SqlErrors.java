package dev.configmanager.store;

import dev.configmanager.wire.ClientText;

import java.sql.SQLException;

/**
 * A database error as the log and the store's exceptions state it: the server's own message, not the driver's
 * wrapper around a batch, which quotes every statement with its values (whole configs), and clipped.
 */
final class SqlErrors {

    private static final int MAX_CHARS = 300;

    private SqlErrors() {}

    static String describe(final Exception e) {
        Exception cause = e;
        if (e instanceof SQLException sql) {
            SQLException next = sql;
            while (next.getNextException() != null && next.getNextException() != next) {
                next = next.getNextException();
            }
            cause = next;
        }
        final String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return ClientText.escape(message, MAX_CHARS);
    }
}
