package dev.configmanager.pipeline;

import dev.configmanager.concurrent.ChangeNotices;
import dev.configmanager.concurrent.Threads;
import dev.configmanager.store.ClientReport;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.store.WriteRefusedException;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Stores clients' reports on a thread of its own, off the config writer's path: whatever reports are waiting go to
 * the store as one batch with one sync. Reports wait by client and service, so a client that reports again before its
 * last report is stored replaces it (only the latest counts), and a flood of reports costs one row per client.
 */
final class ReportWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReportWriter.class);
    /** Clients whose reports may wait at once; more are answered store_unavailable (try again). */
    static final int MAX_WAITING = 10_000;
    /** How long a batch gathers after the first report: a version change makes a fleet report within moments. */
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
            if (stopped || (w == null && waiting.size() >= MAX_WAITING)) {
                answer.complete(Rejected.of(
                        report.service(),
                        ErrorCode.STORE_UNAVAILABLE,
                        stopped ? "the broker is stopping" : "too many reports are waiting to be stored; try again"));
                return answer;
            }
            if (w == null) {
                final Waiting added = new Waiting(report);
                added.answers.add(answer);
                waiting.put(key, added);
                notifyAll();
            } else {
                w.report = report; // the latest report is the one that counts
                w.answers.add(answer);
            }
        }
        return answer;
    }

    private void writeLoop() {
        while (true) {
            final List<Waiting> batch;
            synchronized (this) {
                try {
                    while (waiting.isEmpty() && !stopped) {
                        wait();
                    }
                    if (waiting.isEmpty()) {
                        return;
                    }
                    if (!stopped) {
                        wait(GATHER_MILLIS); // let the rest of a fleet's reports join this sync
                    }
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                batch = new ArrayList<>(waiting.values());
                waiting.clear();
            }
            try {
                store(batch);
            } catch (final RuntimeException e) {
                log.error("config-manager: storing client reports failed", e);
                for (final Waiting w : batch) {
                    answer(w, Rejected.of(w.report.service(), ErrorCode.INTERNAL, "internal error"));
                }
            }
        }
    }

    private void store(final List<Waiting> batch) {
        try {
            answerStored(
                    batch, store.recordReports(batch.stream().map(w -> w.report).toList(), maxClientsPerService));
        } catch (final StoreUnavailableException e) {
            for (final Waiting w : batch) {
                answer(
                        w,
                        Rejected.of(
                                w.report.service(),
                                ErrorCode.STORE_UNAVAILABLE,
                                "the config database is " + "unavailable; the report was not stored"));
            }
        } catch (final WriteRefusedException e) {
            // the rows are checked before they come here; should one be refused anyway, it fails alone
            if (batch.size() > 1) {
                for (final Waiting w : batch) {
                    store(List.of(w));
                }
            } else {
                log.warn("config-manager: a client report was refused by the database: {}", e.getMessage());
                answer(
                        batch.get(0),
                        Rejected.of(
                                batch.get(0).report.service(),
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
