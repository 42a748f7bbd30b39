package dev.configmanager.drift;

import dev.configmanager.concurrent.Threads;
import dev.configmanager.health.FleetClients;
import dev.configmanager.health.FleetClients.ClientState;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.wire.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Forgets the reports of clients that health forgot (gone longer than {@code <health><forget-after>}, or forgotten in
 * the console), every few seconds on a thread of its own: the ids gathered meanwhile, one read of the fleet's health,
 * and a client that is online on any broker by then keeps its reports (it came back, or another broker of a shared
 * database has it). What the store cannot do now is tried again next time.
 */
public final class ForgottenReports implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ForgottenReports.class);
    private static final long EVERY_SECONDS = 5;
    /** Ids waiting at most; more are dropped (their reports go at the next forget of that client, or by hand). */
    private static final int MAX_WAITING = 100_000;

    private final ConfigStore store;
    private final FleetClients clients;
    private final Set<String> waiting = new LinkedHashSet<>(); // guarded by this
    private final ScheduledExecutorService thread =
            Executors.newSingleThreadScheduledExecutor(Threads.factory("config-manager-forget-reports"));

    public ForgottenReports(final ConfigStore store, final FleetClients clients) {
        this.store = store;
        this.clients = clients;
    }

    public void start() {
        thread.scheduleWithFixedDelay(this::forgetWaiting, EVERY_SECONDS, EVERY_SECONDS, TimeUnit.SECONDS);
    }

    /** Health forgot this client. Never blocks: called on the thread that removed the health. */
    public synchronized void forgotten(final String clientId) {
        if (waiting.size() < MAX_WAITING) {
            waiting.add(clientId);
        }
    }

    private void forgetWaiting() {
        final List<String> ids;
        synchronized (this) {
            ids = List.copyOf(waiting);
        }
        if (ids.isEmpty()) {
            return;
        }
        try {
            final Map<String, ClientState> health = clients.byClient();
            for (final String id : ids) {
                final ClientState h = health.get(id);
                if (h == null || !h.online()) {
                    store.forgetReports(id);
                }
                synchronized (this) {
                    waiting.remove(id);
                }
            }
        } catch (final Exception e) {
            log.warn(
                    "config-manager: the reports of {} forgotten client(s), such as '{}', stay until the next try: {}",
                    ids.size(),
                    ClientText.escape(ids.get(0), 80),
                    e.toString());
        }
    }

    @Override
    public void close() {
        Threads.stop(thread, true, 10);
    }
}
