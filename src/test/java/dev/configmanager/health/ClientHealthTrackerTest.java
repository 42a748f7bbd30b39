package dev.configmanager.health;

import com.codahale.metrics.MetricRegistry;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationSuccessfulInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ClientInitiatedDisconnectInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ServerInitiatedDisconnectInput;
import dev.configmanager.concurrent.ChangeNotices;
import dev.configmanager.config.HealthSettings;
import dev.configmanager.store.PresenceLog;
import dev.configmanager.support.Requester;
import dev.configmanager.support.SdkFakes;
import dev.configmanager.support.SdkFakes.ConnectionFake;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Event orders a real broker produces only sometimes, replayed exactly: the last word on a client id always belongs
 * to its newest connection.
 */
@Tag("unit")
class ClientHealthTrackerTest {

    private final SdkFakes.RecordingPublishService publishes = new SdkFakes.RecordingPublishService();
    private final MetricRegistry metrics = new MetricRegistry();
    private final HealthPublisher publisher = new HealthPublisher(
            publishes.service(),
            SdkFakes::publishBuilder,
            HealthSettings.defaults(),
            Clock.systemUTC(),
            metrics,
            PresenceLog.NONE,
            new ChangeNotices());
    private final KeepaliveWheel wheel = new KeepaliveWheel(HealthSettings.DEFAULT_KEEPALIVE_INTERVAL, id -> {});
    private final ClientHealthTracker tracker = new ClientHealthTracker(
            new TrackedClients(HealthSettings.defaults()),
            publisher,
            wheel,
            new AtomicLong(),
            metrics.counter("stale"));

    @Test
    void lateDisconnectOfATakenOverConnectionChangesNothing() {
        final ConnectionFake old = SdkFakes.connection("svc");
        final ConnectionFake newer = SdkFakes.connection("svc");
        final var oldConnection = tracker.newConnection();
        final var newConnection = tracker.newConnection();
        oldConnection.onAuthenticationSuccessful(old.input(AuthenticationSuccessfulInput.class));
        newConnection.onAuthenticationSuccessful(newer.input(AuthenticationSuccessfulInput.class));
        oldConnection.onServerInitiatedDisconnect(old.input(ServerInitiatedDisconnectInput.class));

        assertEquals(List.of("connected", "connected"), events());
        assertEquals(1, metrics.counter("stale").getCount());
        assertTrue(wheel.contains("svc"), "the newer connection keeps its keepalive");
        assertEquals(1, tracker.connectedCount());

        newConnection.onClientInitiatedDisconnect(newer.input(ClientInitiatedDisconnectInput.class));
        assertEquals(List.of("connected", "connected", "disconnected"), events());
        assertFalse(wheel.contains("svc"));
        assertEquals(0, tracker.connectedCount());
    }

    @Test
    void disconnectOfTheOldConnectionBeforeTheNewOneConnectsEndsConnected() {
        final ConnectionFake old = SdkFakes.connection("svc");
        final ConnectionFake newer = SdkFakes.connection("svc");
        final var oldConnection = tracker.newConnection();
        oldConnection.onAuthenticationSuccessful(old.input(AuthenticationSuccessfulInput.class));
        oldConnection.onServerInitiatedDisconnect(old.input(ServerInitiatedDisconnectInput.class));
        tracker.newConnection().onAuthenticationSuccessful(newer.input(AuthenticationSuccessfulInput.class));

        assertEquals(List.of("connected", "connection_lost", "connected"), events());
        assertTrue(wheel.contains("svc"));
    }

    @Test
    void disconnectHandledBeforeItsConnectLeavesNoConnectedState() {
        final ConnectionFake brief = SdkFakes.connection("svc");
        final var connection = tracker.newConnection();
        connection.onClientInitiatedDisconnect(brief.input(ClientInitiatedDisconnectInput.class));
        connection.onAuthenticationSuccessful(brief.input(AuthenticationSuccessfulInput.class));

        assertEquals(List.of(), events(), "a connection that already ended is never reported connected");
        assertFalse(wheel.contains("svc"), "and gets no keepalives");
        assertEquals(0, tracker.connectedCount());
    }

    @Test
    void endOfAConnectionWinsOverItsConnectWhateverOrderTheyArePublishedIn() {
        publisher.publish("svc", 7, false, "connection_lost", "gone"); // 2·3 + 1: the end of epoch 3
        publisher.publish("svc", 6, true, "connected", null); // 2·3: its connect, submitted late
        assertEquals(List.of("connection_lost"), events());
    }

    @Test
    void olderEpochPublishedAfterANewerOneIsSkipped() {
        publisher.publish("svc", 5, true, "connected", null);
        publisher.publish("svc", 4, false, "connection_lost", "late");
        assertEquals(List.of("connected"), events());
    }

    @Test
    void clientsThatCannotBeATopicLevelAreNotTracked() {
        for (final String id : List.of("a/b", "config-manager", "")) {
            tracker.newConnection()
                    .onAuthenticationSuccessful(SdkFakes.connection(id).input(AuthenticationSuccessfulInput.class));
        }
        assertEquals(List.of(), events());
        assertEquals(0, tracker.connectedCount());
    }

    private List<String> events() {
        return publishes.sent.stream()
                .map(s -> Requester.parse(s.payload().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .get("data")
                        .get("event")
                        .asText())
                .toList();
    }
}
