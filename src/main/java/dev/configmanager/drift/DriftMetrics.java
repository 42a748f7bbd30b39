package dev.configmanager.drift;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import dev.configmanager.concurrent.Threads;
import dev.configmanager.drift.FleetDrift.State;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Per service with a config, how many clients are in sync, behind, failed or unknown, as gauges
 * {@code dev.configmanager.drift.clients.<state>.<service>} (on {@code /metrics}:
 * {@code configmanager_drift_clients_<state>{service=…}}). Counted on a thread of its own every few seconds, since a
 * count reads the store and every retained health message: a scrape only reads the last count. A service that is
 * deleted loses its gauges.
 */
public final class DriftMetrics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DriftMetrics.class);
    public static final String PREFIX = "dev.configmanager.drift.clients.";
    private static final long EVERY_SECONDS = 15;

    private final FleetDrift drift;
    private final MetricRegistry registry;
    private final Map<String, Map<State, Integer>> counts = new ConcurrentHashMap<>();
    private final ScheduledExecutorService thread =
            Executors.newSingleThreadScheduledExecutor(Threads.factory("config-manager-drift"));

    public DriftMetrics(final FleetDrift drift, final MetricRegistry registry) {
        this.drift = drift;
        this.registry = registry;
        // the registry outlives the extension when it is stopped and started again
        registry.removeMatching((name, metric) -> name.startsWith(PREFIX));
    }

    public void start() {
        thread.scheduleWithFixedDelay(this::count, 1, EVERY_SECONDS, TimeUnit.SECONDS);
    }

    private void count() {
        try {
            final Map<String, FleetDrift.ServiceDrift> services = drift.all().services();
            for (final Map.Entry<String, FleetDrift.ServiceDrift> e : services.entrySet()) {
                final String service = e.getKey();
                counts.put(service, e.getValue().counts());
                for (final State s : State.values()) {
                    // gauge() adds the metric once and returns it after that
                    registry.gauge(name(s, service), () -> (Gauge<Integer>)
                            () -> counts.getOrDefault(service, Map.of()).getOrDefault(s, 0));
                }
            }
            for (final String gone : Set.copyOf(counts.keySet())) {
                if (!services.containsKey(gone)) {
                    counts.remove(gone);
                    for (final State s : State.values()) {
                        registry.remove(name(s, gone));
                    }
                }
            }
        } catch (final Exception e) {
            log.debug("config-manager: drift could not be counted now: {}", e.toString());
        }
    }

    private static String name(final State state, final String service) {
        return PREFIX + state.wire() + "." + service;
    }

    @Override
    public void close() {
        Threads.stop(thread, true, 10); // a count still running would register gauges after their removal
        registry.removeMatching((name, metric) -> name.startsWith(PREFIX));
    }
}
