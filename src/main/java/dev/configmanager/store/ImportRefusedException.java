package dev.configmanager.store;

import java.io.IOException;
import java.util.Locale;

/**
 * An import that was refused and left the store as it was: the content is wrong, or does not fit this store. An
 * {@link IOException}, like a parser's error, so that it passes through the {@link StoreContent.Sink} of any store;
 * callers catch it first.
 */
public final class ImportRefusedException extends IOException {

    /** Why, as a wire error code. */
    public enum Reason {
        /** The document is not an export this release can read, or one of its rows is wrong. */
        INVALID_IMPORT,
        /** The store holds versions or schemas already: an import only fills an empty store. */
        STORE_NOT_EMPTY,
        /** A sealed secret in it cannot be opened with this broker's secrets key. */
        SECRETS_KEY_MISMATCH,
        /** Other brokers use the shared database now: they would go on with the old epoch. */
        OTHER_BROKERS_RUNNING;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Reason reason;

    public ImportRefusedException(final Reason reason, final String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
