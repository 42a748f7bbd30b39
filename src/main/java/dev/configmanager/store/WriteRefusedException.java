package dev.configmanager.store;

/**
 * The database refused the rows of one commit (a value it cannot hold, a key it already has) while the database
 * itself works: nothing of the commit was kept, and the same rows without the offending one would be stored.
 */
public class WriteRefusedException extends Exception {

    public WriteRefusedException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
