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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Per service with a config, how many clients are in sync, behind, failed or unknown, as gauges
 * {@code dev.configmanager.drift.clients.<state>.<service>} (on {@code /metrics}:
 * {@code configmanager_drift_clients_<state>{service=…}}). A count reads the store and every retained health message
 * (10,000 clients: 10,000 JSON documents), so it is made only for someone who reads the gauges: a read finds counts at
 * most {@value #EVERY_SECONDS} s old (it counts again itself when they are older), and a thread of its own counts every
 * {@value #EVERY_SECONDS} s while gauges are being read, so gauges of new services appear and those of deleted
 * services go. Nobody reading: one count at start (so the gauges exist), then none.
 */
public final class DriftMetrics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DriftMetrics.class);
    public static final String PREFIX = "dev.configmanager.drift.clients.";
    /** The number of services counted: a scrape reads it even when there are none, and so asks for counts. */
    private static final String SERVICES = "dev.configmanager.drift.services";

    private static final long EVERY_SECONDS = 15;

    private final FleetDrift drift;
    private final MetricRegistry registry;
    private final Map<String, Map<State, Integer>> counts = new ConcurrentHashMap<>();
    private final ScheduledExecutorService thread =
            Executors.newSingleThreadScheduledExecutor(Threads.factory("config-manager-drift"));
    /** Whether a gauge was read since the thread last counted: the first count is always made. */
    private final AtomicBoolean read = new AtomicBoolean(true);
    /** Held while counting, by the thread or by a reader: one count at a time, none after close. */
    private final Object counting = new Object();

    private volatile long countedAtNanos;
    private volatile boolean counted;
    private boolean closed;

    public DriftMetrics(final FleetDrift drift, final MetricRegistry registry) {
        this.drift = drift;
        this.registry = registry;
        // the registry outlives the extension when it is stopped and started again
        registry.removeMatching(DriftMetrics::ours);
        registry.gauge(SERVICES, () -> (Gauge<Integer>) () -> fresh().size());
    }

    private static boolean ours(final String name, final Metric metric) {
        return name.startsWith(PREFIX) || name.equals(SERVICES);
    }

    public void start() {
        thread.scheduleWithFixedDelay(this::countIfRead, 1, EVERY_SECONDS, TimeUnit.SECONDS);
    }

    private void countIfRead() {
        if (read.getAndSet(false)) {
            count();
        }
    }

    /** What a gauge reads: counts at most {@value #EVERY_SECONDS} s old. */
    private Map<String, Map<State, Integer>> fresh() {
        read.set(true);
        if (!counted || System.nanoTime() - countedAtNanos > TimeUnit.SECONDS.toNanos(EVERY_SECONDS)) {
            count();
        }
        return counts;
    }

    private void count() {
        synchronized (counting) {
            if (closed
                    || (counted && System.nanoTime() - countedAtNanos < TimeUnit.SECONDS.toNanos(EVERY_SECONDS) / 2)) {
                return; // another reader (or the thread) has just counted
            }
            try {
                final Map<String, FleetDrift.ServiceDrift> services =
                        drift.all().services();
                for (final Map.Entry<String, FleetDrift.ServiceDrift> e : services.entrySet()) {
                    final String service = e.getKey();
                    counts.put(service, e.getValue().counts());
                    for (final State s : State.values()) {
                        // gauge() adds the metric once and returns it after that
                        registry.gauge(name(s, service), () -> (Gauge<Integer>)
                                () -> fresh().getOrDefault(service, Map.of()).getOrDefault(s, 0));
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
            } finally {
                // a failed count is not tried again by every gauge of the same scrape
                countedAtNanos = System.nanoTime();
                counted = true;
            }
        }
    }

    private static String name(final State state, final String service) {
        return PREFIX + state.wire() + "." + service;
    }

    @Override
    public void close() {
        Threads.stop(thread, true, 10);
        synchronized (counting) {
            closed = true; // a count still running (a reader's) would register gauges after their removal
        }
        registry.removeMatching(DriftMetrics::ours);
    }
}
