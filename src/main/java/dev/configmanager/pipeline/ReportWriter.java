package dev.configmanager.pipeline;

import dev.configmanager.concurrent.ChangeNotices;
import dev.configmanager.concurrent.Threads;
import dev.configmanager.store.ClientReport;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.store.WriteRefusedException;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Stores clients' reports on a thread of its own, off the config writer's thread: whatever reports are waiting go to
 * the store together ({@link ConfigStore#recordReports} writes them in short transactions and returns once they are
 * durable, on H2 with the store's next regular sync). Reports wait by client and service: a client that reports again
 * before its last report is stored replaces it (only the latest counts), and a flood costs one row per client.
 */
final class ReportWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReportWriter.class);
    /** Clients whose reports may wait at once; more are answered store_unavailable (try again). */
    static final int MAX_WAITING = 10_000;
    /** Unanswered reports of one client on one service: a client that floods is told to wait, not remembered. */
    static final int MAX_WAITERS_PER_CLIENT = 32;

    /** How long a batch gathers after its first report: a version change makes a fleet report within moments. */
    private static final long GATHER_MILLIS = 10;

    private final ConfigStore store;
    private final int maxClientsPerService;
    private final ChangeNotices notices;
    private final Thread thread;

    private final Map<String, Waiting> waiting = new LinkedHashMap<>(); // guarded by this
    private boolean stopped; // guarded by this

    /** A report waiting to be stored, and everyone waiting for it (earlier reports of the same client it replaced). */
    private static final class Waiting {
        ClientReport report;
        final List<CompletableFuture<@Nullable Rejected>> answers = new ArrayList<>();

        Waiting(final ClientReport report) {
            this.report = report;
        }
    }

    ReportWriter(final ConfigStore store, final int maxClientsPerService, final ChangeNotices notices) {
        this.store = store;
        this.maxClientsPerService = maxClientsPerService;
        this.notices = notices;
        this.thread = Threads.start("config-manager-reports", this::writeLoop);
    }

    /** @return completes with {@code null} once the report is stored, or the rejection its client gets */
    CompletableFuture<@Nullable Rejected> offer(final ClientReport report) {
        final CompletableFuture<@Nullable Rejected> answer = new CompletableFuture<>();
        final String key = report.service() + "\0" + report.clientId();
        synchronized (this) {
            final Waiting w = waiting.get(key);
            final String refusal = stopped
                    ? "the broker is stopping"
                    : w == null && waiting.size() >= MAX_WAITING
                            ? "too many reports are waiting to be stored; try again"
                            : w != null && w.answers.size() >= MAX_WAITERS_PER_CLIENT
                                    ? "this client's earlier reports are still waiting to be stored; try again"
                                    : null;
            if (refusal != null) {
                answer.complete(Rejected.of(report.service(), ErrorCode.STORE_UNAVAILABLE, refusal));
                return answer;
            }
            if (w == null) {
                final Waiting added = new Waiting(report);
                added.answers.add(answer);
                waiting.put(key, added);
                if (waiting.size() == 1) {
                    notifyAll(); // only the first: later ones must not cut the gathering short
                }
            } else {
                w.report = report; // the latest report is the one that counts
                w.answers.add(answer);
            }
        }
        return answer;
    }

    private void writeLoop() {
        try {
            while (true) {
                final List<Waiting> batch = take();
                if (batch.isEmpty()) {
                    return;
                }
                try {
                    store(batch);
                } catch (final RuntimeException e) {
                    log.error("config-manager: storing client reports failed", e);
                    answerAll(batch, ErrorCode.INTERNAL, "internal error");
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final Throwable t) {
            log.error("config-manager: the client report writer stopped", t);
        } finally {
            // nothing may wait for a writer that is gone: answer what is left, refuse what comes
            final List<Waiting> left;
            synchronized (this) {
                stopped = true;
                left = new ArrayList<>(waiting.values());
                waiting.clear();
            }
            answerAll(left, ErrorCode.STORE_UNAVAILABLE, "the broker is stopping; the report was not stored");
        }
    }

    /** The next batch, after a short gathering; empty once stopped with nothing left. */
    private synchronized List<Waiting> take() throws InterruptedException {
        while (waiting.isEmpty() && !stopped) {
            wait();
        }
        if (!stopped) {
            wait(GATHER_MILLIS); // let the rest of a fleet's reports join this sync
        }
        final List<Waiting> batch = new ArrayList<>(waiting.values());
        waiting.clear();
        return batch;
    }

    private void store(final List<Waiting> batch) {
        final List<Waiting> storable = new ArrayList<>(batch.size());
        try {
            final Map<String, Boolean> hasConfig = new HashMap<>();
            for (final Waiting w : batch) {
                final String service = w.report.service();
                if (!hasConfig.containsKey(service)) {
                    final Optional<ConfigVersion> current = store.current(service);
                    hasConfig.put(service, current.isPresent() && !current.get().isDeleted());
                }
                if (hasConfig.get(service)) {
                    storable.add(w);
                } else {
                    // only services with a config have reports: the table grows with the services, not the topics
                    answer(
                            w,
                            Rejected.of(service, ErrorCode.NOT_FOUND, "'" + service + "' has no config to report on"));
                }
            }
            answerStored(
                    storable,
                    store.recordReports(storable.stream().map(w -> w.report).toList(), maxClientsPerService));
        } catch (final StoreUnavailableException e) {
            answerAll(
                    batch,
                    ErrorCode.STORE_UNAVAILABLE,
                    "the config database is unavailable; the report was not stored");
        } catch (final WriteRefusedException e) {
            // the rows are checked before they come here; should one be refused anyway, it fails alone
            if (storable.size() > 1) {
                for (final Waiting w : storable) {
                    store(List.of(w));
                }
            } else if (storable.size() == 1) {
                log.warn("config-manager: a client report was refused by the database: {}", e.getMessage());
                answer(
                        storable.get(0),
                        Rejected.of(
                                storable.get(0).report.service(),
                                ErrorCode.INVALID_REQUEST,
                                "the database refused this report"));
            }
        }
    }

    private void answerStored(final List<Waiting> batch, final List<ClientReport> refused) {
        final Set<ClientReport> over = new HashSet<>(refused);
        final Set<String> services = new HashSet<>();
        for (final Waiting w : batch) {
            if (over.contains(w.report)) {
                answer(
                        w,
                        Rejected.of(
                                w.report.service(),
                                ErrorCode.TOO_LARGE,
                                "the service has reports of " + maxClientsPerService
                                        + " clients, the most kept (<drift><max-clients-per-service>)"));
            } else {
                answer(w, null);
                services.add(w.report.service());
            }
        }
        for (final String service : services) {
            notices.changed(ChangeNotices.Kind.SERVICE, service);
        }
    }

    private static void answerAll(final List<Waiting> batch, final ErrorCode code, final String message) {
        for (final Waiting w : batch) {
            answer(w, Rejected.of(w.report.service(), code, message));
        }
    }

    private static void answer(final Waiting w, final @Nullable Rejected result) {
        for (final CompletableFuture<@Nullable Rejected> a : w.answers) {
            a.complete(result);
        }
    }

    /** Stores what is waiting, then stops. */
    @Override
    public void close() {
        synchronized (this) {
            stopped = true;
            notifyAll();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
