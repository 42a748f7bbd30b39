package dev.configmanager.health;

import com.codahale.metrics.Counter;
import com.hivemq.extension.sdk.api.client.parameter.ConnectionAttributeStore;
import com.hivemq.extension.sdk.api.events.client.ClientLifecycleEventListener;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationSuccessfulInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ClientInitiatedDisconnectInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionLostInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionStartInput;
import com.hivemq.extension.sdk.api.events.client.parameters.DisconnectEventInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ServerInitiatedDisconnectInput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns the broker's client lifecycle into retained health and keepalive membership, with no code in the clients.
 * <p>
 * Each successful connection gets an epoch, kept in the connection's own attribute store, so a disconnect event can
 * always be matched to the connection it belongs to. A session takeover or a late callback of an old connection
 * therefore never marks a newer connection of the same client id as gone. The broker may run a connection's connect
 * and disconnect callbacks on different threads, even in reverse order: both take the client id's entry in
 * {@code connected} as their lock, and a connection whose end was seen first is never reported connected. One
 * shared, thread-safe instance serves every client.
 */
public final class ClientHealthTracker implements ClientLifecycleEventListener {

    static final String EPOCH_ATTRIBUTE = "config-manager.connection-epoch";
    static final String GONE_ATTRIBUTE = "config-manager.connection-gone";
    private static final Logger log = LoggerFactory.getLogger(ClientHealthTracker.class);

    private final TrackedClients tracked;
    private final HealthPublisher publisher;
    private final KeepaliveWheel keepalives;
    private final AtomicLong epochs;
    private final Counter staleEvents;
    /** Client id → epoch of its current connection; only tracked, connected clients. */
    private final ConcurrentHashMap<String, Long> connected = new ConcurrentHashMap<>();

    ClientHealthTracker(final TrackedClients tracked, final HealthPublisher publisher, final KeepaliveWheel keepalives,
                        final AtomicLong epochs, final Counter staleEvents) {
        this.tracked = tracked;
        this.publisher = publisher;
        this.keepalives = keepalives;
        this.epochs = epochs;
        this.staleEvents = staleEvents;
    }

    @Override
    public void onMqttConnectionStart(final ConnectionStartInput input) {
        // health starts once the client is authenticated
    }

    @Override
    public void onAuthenticationSuccessful(final AuthenticationSuccessfulInput input) {
        final String clientId = input.getClientInformation().getClientId();
        try {
            if (!tracked.isTracked(clientId)) {
                return;
            }
            final ConnectionAttributeStore attributes = input.getConnectionInformation().getConnectionAttributeStore();
            // Publishes are submitted under the client id's lock, so they are sequenced in the order of the changes.
            connected.compute(clientId, (id, previous) -> {
                if (attributes.getAsString(GONE_ATTRIBUTE).isPresent()) {
                    return previous; // this connection already ended: its disconnect was handled first
                }
                final long epoch = epochs.incrementAndGet();
                attributes.putAsString(EPOCH_ATTRIBUTE, Long.toString(epoch));
                keepalives.add(id);
                report(publisher.publish(id, connectedOrdinal(epoch), true, "connected", null), id);
                return epoch;
            });
        } catch (final RuntimeException e) {
            log.error("config-manager: connect of '{}' could not be tracked", clientId, e);
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

    /** Number of tracked clients that are connected now. */
    int connectedCount() {
        return connected.size();
    }

    private void gone(final DisconnectEventInput input, final String event, final String err) {
        final String clientId = input.getClientInformation().getClientId();
        try {
            final ConnectionAttributeStore attributes = input.getConnectionInformation().getConnectionAttributeStore();
            connected.compute(clientId, (id, current) -> {
                attributes.putAsString(GONE_ATTRIBUTE, "true");
                final Optional<Long> epoch = epochOf(attributes);
                if (epoch.isEmpty()) {
                    return current; // never tracked: not authenticated, not a tracked id, or ended before its connect
                }
                if (current != null && current.longValue() != epoch.get()) {
                    // A newer connection owns the client id now (session takeover): this event is history.
                    staleEvents.inc();
                    log.debug("config-manager: ignoring {} of an older connection of '{}'", event, id);
                    return current;
                }
                keepalives.remove(id);
                final long ordinal = connectedOrdinal(epoch.get()) + 1;
                publisher.publish(id, ordinal, false, event, err).whenComplete((ok, error) -> {
                    report(error, id);
                    publisher.forget(id, ordinal);
                });
                return null;
            });
        } catch (final RuntimeException ex) {
            log.error("config-manager: disconnect of '{}' could not be tracked", clientId, ex);
        }
    }

    /**
     * A connection's health ordinals: connected at {@code 2·epoch}, its end at {@code 2·epoch + 1}, so whatever order
     * the two publishes are submitted in, the end wins, and any later connection wins over both.
     */
    private static long connectedOrdinal(final long epoch) {
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

    private static Optional<Long> epochOf(final ConnectionAttributeStore attributes) {
        return attributes.getAsString(EPOCH_ATTRIBUTE).map(Long::parseLong);
    }

    private static String reason(final DisconnectEventInput input, final String fallback) {
        return input.getReasonString().filter(s -> !s.isBlank())
                .or(() -> input.getReasonCode().map(c -> c.name().toLowerCase(java.util.Locale.ROOT)))
                .orElse(fallback);
    }
}
