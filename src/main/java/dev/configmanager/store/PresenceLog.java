package dev.configmanager.store;

import dev.configmanager.wire.HealthStatus;

/**
 * Where the health states this broker publishes for its clients are also recorded, so that the console of every
 * broker on a shared database shows the clients of all of them. A store that only this broker uses records nothing:
 * the retained health is the whole picture there.
 */
public interface PresenceLog extends AutoCloseable {

    PresenceLog NONE = new PresenceLog() {
        @Override
        public void record(final String clientId, final HealthStatus status) {}

        @Override
        public void close() {}
    };

    /** The client's latest state; never blocks (written in the background, the latest state per client wins). */
    void record(String clientId, HealthStatus status);

    /** The client is forgotten: its row goes (in the background, like {@link #record}). */
    default void forget(final String clientId) {}

    @Override
    void close();
}
