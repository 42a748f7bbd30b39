package dev.configmanager.drift;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import dev.configmanager.concurrent.Threads;
import dev.configmanager.drift.FleetDrift.State;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Per service with a config, how many clients are in sync, behind, failed or unknown, as gauges
 * {@code dev.configmanager.drift.clients.<state>.<service>} (on {@code /metrics}:
 * {@code configmanager_drift_clients_<state>{service=…}}). A count reads the store and every retained health message
 * (10,000 clients: 10,000 JSON documents), so it runs on a thread of its own, every {@value #EVERY_SECONDS} s while
 * someone has read a gauge within {@value #INTEREST_SECONDS} s (a scraper at Prometheus's default minute keeps them
 * fresh), and not at all otherwise after the first (so the gauges exist). A read never counts: it returns the last
 * counts, and when they are old (nobody read for a while) asks the thread for new ones, which the next read finds.
 */
public final class DriftMetrics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DriftMetrics.class);
    public static final String PREFIX = "dev.configmanager.drift.clients.";
    /** The number of services counted: a scrape reads it even when there are none, and so asks for counts. */
    private static final String SERVICES = "dev.configmanager.drift.services";

    private static final long EVERY_SECONDS = 15;
    private static final long INTEREST_SECONDS = 120;

    private final FleetDrift drift;
    private final MetricRegistry registry;
    private final Map<String, Map<State, Integer>> counts = new ConcurrentHashMap<>();
    private final ScheduledExecutorService thread =
            Executors.newSingleThreadScheduledExecutor(Threads.factory("config-manager-drift"));

    /** When a gauge was last read (at start: long enough ago that nobody is); only the thread counts. */
    private volatile long readAtNanos = System.nanoTime() - TimeUnit.SECONDS.toNanos(INTEREST_SECONDS);
    /** Whether a count has worked yet: until one has, the thread counts whether anyone reads or not. */
    private volatile boolean counted;

    public DriftMetrics(final FleetDrift drift, final MetricRegistry registry) {
        this.drift = drift;
        this.registry = registry;
        // the registry outlives the extension when it is stopped and started again
        registry.removeMatching(DriftMetrics::ours);
        registry.gauge(SERVICES, () -> (Gauge<Integer>) () -> read().size());
    }

    private static boolean ours(final String name, final Metric metric) {
        return name.startsWith(PREFIX) || name.equals(SERVICES);
    }

    public void start() {
        thread.scheduleWithFixedDelay(this::countWhileRead, 1, EVERY_SECONDS, TimeUnit.SECONDS);
    }

    private void countWhileRead() {
        if (!counted || System.nanoTime() - readAtNanos < TimeUnit.SECONDS.toNanos(INTEREST_SECONDS)) {
            count();
        }
    }

    /** What a gauge reads: the last counts; old ones (the thread was idle) are counted anew for the next read. */
    private Map<String, Map<State, Integer>> read() {
        final long now = System.nanoTime();
        final boolean idle = now - readAtNanos >= TimeUnit.SECONDS.toNanos(INTEREST_SECONDS);
        readAtNanos = now;
        if (idle) {
            try {
                thread.execute(this::count);
            } catch (final RejectedExecutionException stopped) {
                // closing: the gauges go with it
            }
        }
        return counts;
    }

    /** On the thread only. */
    private void count() {
        try {
            final Map<String, FleetDrift.ServiceDrift> services = drift.all().services();
            for (final Map.Entry<String, FleetDrift.ServiceDrift> e : services.entrySet()) {
                final String service = e.getKey();
                counts.put(service, e.getValue().counts());
                for (final State s : State.values()) {
                    // gauge() adds the metric once and returns it after that
                    registry.gauge(name(s, service), () -> (Gauge<Integer>)
                            () -> read().getOrDefault(service, Map.of()).getOrDefault(s, 0));
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
            counted = true;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt(); // stopping
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
        registry.removeMatching(DriftMetrics::ours);
    }
}
