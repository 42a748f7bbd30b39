package dev.configmanager.store;

/** The store could not do what was asked; nothing of the failed call was kept. */
public final class StoreUnavailableException extends Exception {

    public StoreUnavailableException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
