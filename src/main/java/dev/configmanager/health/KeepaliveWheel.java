package dev.configmanager.health;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sends every member a keepalive once per interval from one periodic task, however many members there are: the
 * interval is cut into slots, each member lives in one slot (by hash of its id), and each tick serves one slot. The
 * cost is flat per member and spread evenly over the interval instead of arriving in one burst.
 */
final class KeepaliveWheel {

    private static final Logger log = LoggerFactory.getLogger(KeepaliveWheel.class);
    private static final long MIN_TICK_MILLIS = 10;
    private static final int MAX_SLOTS = 100;

    private final Set<String>[] slots;
    private final long tickMillis;
    private final Consumer<String> send;
    private long tick;
    private ScheduledFuture<?> task;

    @SuppressWarnings("unchecked")
    KeepaliveWheel(final Duration interval, final Consumer<String> send) {
        final int count = (int) Math.max(1, Math.min(MAX_SLOTS, interval.toMillis() / MIN_TICK_MILLIS));
        this.slots = new Set[count];
        for (int i = 0; i < count; i++) {
            slots[i] = ConcurrentHashMap.newKeySet();
        }
        this.tickMillis = Math.max(1, interval.toMillis() / count);
        this.send = send;
    }

    void add(final String id) {
        slots[slotOf(id)].add(id);
    }

    void remove(final String id) {
        slots[slotOf(id)].remove(id);
    }

    boolean contains(final String id) {
        return slots[slotOf(id)].contains(id);
    }

    synchronized void start(final ScheduledExecutorService scheduler) {
        task = scheduler.scheduleAtFixedRate(this::tick, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    }

    synchronized void stop() {
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }

    /** Serves the next slot. Never throws: a periodic task that throws is never run again. */
    void tick() {
        try {
            final Set<String> slot = slots[(int) (tick++ % slots.length)];
            for (final String id : slot) {
                try {
                    send.accept(id);
                } catch (final RuntimeException e) {
                    log.warn("config-manager: keepalive for '{}' failed: {}", id, e.toString());
                }
            }
        } catch (final RuntimeException e) {
            log.error("config-manager: keepalive tick failed", e);
        }
    }

    private int slotOf(final String id) {
        return Math.floorMod(id.hashCode(), slots.length);
    }
}
