package dev.configmanager.health;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.hivemq.extension.sdk.api.services.builder.PublishBuilder;
import com.hivemq.extension.sdk.api.services.publish.PublishService;
import com.hivemq.extension.sdk.api.services.publish.RetainedMessageStore;
import dev.configmanager.concurrent.ChangeNotices;
import dev.configmanager.config.HealthSettings;
import dev.configmanager.mqtt.RetainedStartScan;
import dev.configmanager.store.PresenceLog;
import dev.configmanager.store.StoreStatusListener;

import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** Health and keepalive as one part: built once, started after the start-up sweep, stopped with the extension. */
public final class HealthService {

    private static final String CONNECTED_GAUGE = "dev.configmanager.health.clients.connected";

    private final HealthPublisher publisher;
    private final KeepaliveWheel keepalives;
    private final TrackedClients tracked;
    private final ClientHealthTracker tracker;
    private final ExtensionHealth self;
    private final StaleHealthSweep sweep;
    private final DepartedClients departed;
    private final MetricRegistry metrics;

    public HealthService(
            final HealthSettings settings,
            final PublishService publishService,
            final Supplier<PublishBuilder> builders,
            final MetricRegistry metrics,
            final Clock clock,
            final PresenceLog presence,
            final RetainedMessageStore retained,
            final ChangeNotices notices) {
        final AtomicLong epochs = new AtomicLong();
        this.publisher = new HealthPublisher(publishService, builders, settings, clock, metrics, presence, notices);
        this.keepalives = new KeepaliveWheel(settings.keepaliveInterval(), publisher::keepalive);
        this.tracked = new TrackedClients(settings);
        this.tracker = new ClientHealthTracker(
                tracked, publisher, keepalives, epochs, metrics.counter("dev.configmanager.health.events.stale"));
        this.self = new ExtensionHealth(publisher, epochs);
        this.sweep = new StaleHealthSweep(publisher, settings, tracked);
        this.departed = new DepartedClients(retained, settings, tracked, tracker, clock);
        // replaced, not added: the registry outlives the extension when it is stopped and started again
        metrics.remove(CONNECTED_GAUGE);
        metrics.register(CONNECTED_GAUGE, (Gauge<Integer>) tracker::connectedCount);
        this.metrics = metrics;
    }

    /** Marks health left over from before a restart; its pass over the retained store runs before clients connect. */
    public RetainedStartScan.Visitor staleHealthSweep() {
        return sweep;
    }

    /** Whether a client id could have health topics at all, whatever the include and exclude patterns say. */
    public boolean hasTopicShape(final String clientId) {
        return tracked.hasTopicShape(clientId);
    }

    /** Whether a client id could have health of its own (never the extension's, which is not a client's to forget). */
    public boolean isClientHealth(final String clientId) {
        return tracked.hasTopicShape(clientId) && !TrackedClients.SELF.equals(clientId);
    }

    /** Publishes the extension's own health and starts keepalives. */
    public void start(final ScheduledExecutorService scheduler, final String storeProblem) {
        self.started(storeProblem);
        keepalives.add(TrackedClients.SELF);
        keepalives.start(scheduler);
        departed.start(scheduler);
    }

    public void stop() {
        departed.stop();
        keepalives.stop();
        self.shutdown();
        metrics.remove(CONNECTED_GAUGE);
    }

    public ClientHealthTracker tracker() {
        return tracker;
    }

    public StoreStatusListener storeStatus() {
        return self;
    }
}
