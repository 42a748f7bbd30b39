package dev.configmanager.health;

import com.codahale.metrics.Counter;
import com.hivemq.extension.sdk.api.events.client.ClientLifecycleEventListener;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationSuccessfulInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ClientInitiatedDisconnectInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionLostInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionStartInput;
import com.hivemq.extension.sdk.api.events.client.parameters.DisconnectEventInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ServerInitiatedDisconnectInput;
import dev.configmanager.wire.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Turns the broker's client lifecycle into retained health and keepalive membership, with no code in the clients.
 * <p>
 * HiveMQ asks the listener provider once per connection, so each connection gets its own {@link Connection} listener,
 * and that object is the connection's identity: it holds the epoch the connection was given when it authenticated.
 * (The connection attribute store cannot be used for this: in CE 2025.5 a value put there while the broker promotes
 * the connection after CONNECT can be lost, which a 2,000-client test showed.) A session takeover or a late callback
 * of an old connection therefore never marks a newer connection of the same client id as gone. Connect and disconnect
 * of one client id change its state under that id's entry in {@code connected}, and submit their publishes there, so
 * publishes are sequenced in the order of the changes.
 */
public final class ClientHealthTracker {

    private static final Logger log = LoggerFactory.getLogger(ClientHealthTracker.class);

    private final List<Consumer<String>> forgotten = new CopyOnWriteArrayList<>();
    private final TrackedClients tracked;
    private final HealthPublisher publisher;
    private final KeepaliveWheel keepalives;
    private final AtomicLong epochs;
    private final Counter staleEvents;
    /** Client id → epoch of its current connection; only tracked, connected clients. */
    private final ConcurrentHashMap<String, Long> connected = new ConcurrentHashMap<>();

    ClientHealthTracker(
            final TrackedClients tracked,
            final HealthPublisher publisher,
            final KeepaliveWheel keepalives,
            final AtomicLong epochs,
            final Counter staleEvents) {
        this.tracked = tracked;
        this.publisher = publisher;
        this.keepalives = keepalives;
        this.epochs = epochs;
        this.staleEvents = staleEvents;
    }

    /** The listener for one new connection. */
    public ClientLifecycleEventListener newConnection() {
        return new Connection();
    }

    /**
     * Publishes health a client sent about itself on its own topic, in sequence with the states the extension
     * publishes for that client: decided under the client id's lock, so it is either ordered before the client's
     * disconnect (which then overwrites it) or finds the client gone and is refused. A client that is not tracked, or
     * no longer connected, has no health topic of its own.
     *
     * @return the relayed publish, or {@code null} when the client has no health topic of its own now
     */
    public CompletableFuture<Void> relayOwnHealth(final String clientId, final byte[] envelope, final boolean retain) {
        final List<CompletableFuture<Void>> relayed = new ArrayList<>(1);
        connected.computeIfPresent(clientId, (id, epoch) -> {
            final CompletableFuture<Void> publish = publisher.relay(id, startOrdinal(epoch), envelope, retain);
            report(publish, id);
            relayed.add(publish);
            return epoch;
        });
        return relayed.isEmpty() ? null : relayed.get(0);
    }

    /**
     * Forgets a client that is not connected: its retained health (and presence) is removed. Decided under the client
     * id's lock, so a connection that starts meanwhile is published after the removal and stands.
     *
     * @return whether it was forgotten ({@code false}: connected now)
     */
    public CompletableFuture<Boolean> forget(final String clientId) {
        final List<CompletableFuture<Boolean>> outcome = new ArrayList<>(1);
        connected.compute(clientId, (id, current) -> {
            outcome.add(
                    current != null
                            ? CompletableFuture.completedFuture(false)
                            : publisher.clear(id).thenApply(ignored -> {
                                for (final Consumer<String> listener : forgotten) {
                                    try {
                                        listener.accept(id);
                                    } catch (final RuntimeException e) {
                                        log.warn("config-manager: after forgetting a client: {}", e.toString());
                                    }
                                }
                                return true;
                            }));
            return current;
        });
        return outcome.get(0);
    }

    /**
     * Tells {@code listener} each client id that is forgotten (what else is kept about it can go too). Called on the
     * thread that removed the health: the listener must hand blocking work elsewhere.
     */
    public void onForgotten(final Consumer<String> listener) {
        forgotten.add(listener);
    }

    /** Number of tracked clients that are connected now. */
    int connectedCount() {
        return connected.size();
    }

    /** One connection's lifecycle. Its fields change only under the client id's lock in {@code connected}. */
    private final class Connection implements ClientLifecycleEventListener {
        private volatile long epoch;
        private volatile boolean ended;

        @Override
        public void onMqttConnectionStart(final ConnectionStartInput input) {
            // health starts once the client is authenticated
        }

        @Override
        public void onAuthenticationSuccessful(final AuthenticationSuccessfulInput input) {
            final String clientId = input.getClientInformation().getClientId();
            try {
                if (tracked.isTracked(clientId)) {
                    connected.compute(clientId, (id, previous) -> {
                        if (ended) {
                            return previous; // this connection's end was handled first
                        }
                        epoch = epochs.incrementAndGet();
                        keepalives.add(id);
                        report(publisher.publish(id, startOrdinal(epoch), true, "connected", null), id);
                        return epoch;
                    });
                }
            } catch (final RuntimeException e) {
                log.error("config-manager: connect of '{}' could not be tracked", ClientText.escape(clientId, 80), e);
            }
        }

        @Override
        public void onClientInitiatedDisconnect(final ClientInitiatedDisconnectInput input) {
            gone(input, "disconnected", null);
        }

        @Override
        public void onConnectionLost(final ConnectionLostInput input) {
            gone(input, "connection_lost", "connection lost without DISCONNECT");
        }

        @Override
        public void onServerInitiatedDisconnect(final ServerInitiatedDisconnectInput input) {
            gone(input, "connection_lost", reason(input, "disconnected by the broker"));
        }

        @Override
        public void onDisconnect(final DisconnectEventInput input) {
            gone(input, "connection_lost", reason(input, "disconnected"));
        }

        private void gone(final DisconnectEventInput input, final String event, final String err) {
            final String clientId = input.getClientInformation().getClientId();
            try {
                connected.compute(clientId, (id, current) -> {
                    ended = true;
                    if (epoch == 0) {
                        return current; // never tracked: not authenticated, or not a tracked id
                    }
                    if (current != null && current != epoch) {
                        // A newer connection owns the client id now (session takeover): this event is history.
                        staleEvents.inc();
                        log.debug("config-manager: ignoring {} of an older connection of '{}'", event, id);
                        return current;
                    }
                    keepalives.remove(id);
                    final long ordinal = startOrdinal(epoch) + 1;
                    publisher.publish(id, ordinal, false, event, err).whenComplete((ok, error) -> {
                        report(error, id);
                        publisher.forget(id, ordinal);
                    });
                    return null;
                });
            } catch (final RuntimeException ex) {
                log.error(
                        "config-manager: disconnect of '{}' could not be tracked", ClientText.escape(clientId, 80), ex);
            }
        }
    }

    /**
     * A connection's health ordinals: connected at {@code 2·epoch}, its end at {@code 2·epoch + 1}, so whatever order
     * the two publishes are submitted in, the end wins, and any later connection wins over both.
     */
    private static long startOrdinal(final long epoch) {
        return 2 * epoch;
    }

    private static void report(final java.util.concurrent.CompletableFuture<Void> publish, final String clientId) {
        publish.whenComplete((ok, error) -> report(error, clientId));
    }

    private static void report(final Throwable error, final String clientId) {
        if (error != null) {
            log.warn("config-manager: health of '{}' could not be published: {}", clientId, error.toString());
        }
    }

    private static String reason(final DisconnectEventInput input, final String fallback) {
        return input.getReasonString()
                .filter(s -> !s.isBlank())
                .or(() -> input.getReasonCode().map(c -> c.name().toLowerCase(java.util.Locale.ROOT)))
                .orElse(fallback);
    }
}
