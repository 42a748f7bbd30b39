package dev.configmanager.concurrent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Tells whoever listens that something an operator looks at has changed: a service's config or results, a client's
 * health, the store's state. Only the kind and the subject travel; a listener (the console's live view) reads what it
 * needs. Listeners are called on the thread that made the change and must not block it.
 */
public final class ChangeNotices {

    private static final Logger log = LoggerFactory.getLogger(ChangeNotices.class);

    /** What changed. */
    public enum Kind {
        /** A service's config, or a request about it was answered (counts of rejections change). */
        SERVICE,
        /** A client's health. */
        CLIENT
    }

    /** A listener; {@code subject} is the service name or the client id. */
    public interface Listener {
        void changed(Kind kind, String subject);
    }

    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();

    public void changed(final Kind kind, final String subject) {
        for (final Listener l : listeners) {
            try {
                l.changed(kind, subject);
            } catch (final RuntimeException e) {
                log.warn("config-manager: a change listener failed: {}", e.toString());
            }
        }
    }

    /** @return stops listening */
    public AutoCloseable listen(final Listener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }
}
