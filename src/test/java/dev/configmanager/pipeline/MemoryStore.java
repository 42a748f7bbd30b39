package dev.configmanager.pipeline;

import dev.configmanager.store.AuditRecord;
import dev.configmanager.store.ClientReport;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.RequestAnswer;
import dev.configmanager.store.RequestAnsweredException;
import dev.configmanager.store.StoreContent;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.store.StoredReport;
import dev.configmanager.store.WriteRefusedException;
import dev.configmanager.wire.ConfigResult;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A store in memory for the writer's unit tests, with the two ways a real one fails: unavailable (for the next
 * commit) and refusing the rows of certain services (as a database refuses a value too long for its column).
 */
final class MemoryStore implements ConfigStore {

    final List<ConfigVersion> history = new ArrayList<>();
    final List<AuditRecord> audit = new ArrayList<>();
    final Map<String, String> schemas = new TreeMap<>();
    final Set<String> refusedServices = new HashSet<>();
    /** The first answer per "service/request id", as a shared store keeps them. */
    final Map<String, ConfigResult> answers = new HashMap<>();
    /** When set, storing a schema throws it (a defect, not an unavailable database). */
    RuntimeException failSchemasWith;

    int commits;
    int failedCommits;
    private boolean failNext;
    private CountDownLatch inCommit;
    private CountDownLatch release;

    void failNextCommit() {
        failNext = true;
    }

    /** The next commit counts {@code inCommit} down, then waits for {@code release} before it goes on. */
    void holdNextCommit(final CountDownLatch inCommit, final CountDownLatch release) {
        this.inCommit = inCommit;
        this.release = release;
    }

    @Override
    public void commit(
            final List<ConfigVersion> versions, final List<AuditRecord> lines, final List<RequestAnswer> answers)
            throws StoreUnavailableException, WriteRefusedException {
        final CountDownLatch held = release;
        if (held != null) {
            release = null;
            inCommit.countDown();
            try {
                held.await(10, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (answers.stream().anyMatch(a -> this.answers.containsKey(a.service() + '/' + a.requestId()))) {
                throw new RequestAnsweredException("answered by another broker", null);
            }
            store(versions, lines);
            answers.forEach(a -> this.answers.put(a.service() + '/' + a.requestId(), a.result()));
        }
    }

    /** Like a shared store: the answers to request ids are kept (the tests put some there as another broker). */
    @Override
    public synchronized Map<String, ConfigResult> answered(
            final String service, final Collection<String> requestIds, final Instant now) {
        final Map<String, ConfigResult> found = new HashMap<>();
        requestIds.forEach(id -> {
            final ConfigResult r = answers.get(service + '/' + id);
            if (r != null) {
                found.put(id, r);
            }
        });
        return found;
    }

    private void store(final List<ConfigVersion> versions, final List<AuditRecord> lines)
            throws StoreUnavailableException, WriteRefusedException {
        if (failNext) {
            failNext = false;
            failedCommits++;
            throw new StoreUnavailableException("the test store is down", null);
        }
        if (versions.stream().anyMatch(v -> refusedServices.contains(v.service()))
                || lines.stream().anyMatch(a -> refusedServices.contains(a.service()) && a.version() != null)) {
            failedCommits++;
            throw new WriteRefusedException("value too long", null);
        }
        commits++;
        history.addAll(versions);
        audit.addAll(lines);
    }

    @Override
    public String epoch() {
        return "test-epoch";
    }

    @Override
    public synchronized Optional<ConfigVersion> current(final String service) {
        return history.stream()
                .filter(v -> v.service().equals(service))
                .max(Comparator.comparingLong(ConfigVersion::version));
    }

    @Override
    public synchronized List<ConfigVersion> allCurrent() {
        final Map<String, ConfigVersion> latest = new HashMap<>();
        history.forEach(v -> latest.merge(v.service(), v, (a, b) -> a.version() > b.version() ? a : b));
        return List.copyOf(latest.values());
    }

    @Override
    public synchronized Optional<ConfigVersion> version(final String service, final long version) {
        return history.stream()
                .filter(v -> v.service().equals(service) && v.version() == version)
                .findFirst();
    }

    @Override
    public synchronized List<ConfigVersion> history(final String service, final int limit) {
        return history.stream()
                .filter(v -> v.service().equals(service))
                .sorted(Comparator.comparingLong(ConfigVersion::version).reversed())
                .limit(limit)
                .toList();
    }

    @Override
    public synchronized List<AuditRecord> audit(final String service, final String outcome, final int limit) {
        final List<AuditRecord> newestFirst = new ArrayList<>(audit);
        Collections.reverse(newestFirst);
        return newestFirst.stream()
                .filter(a -> service == null || a.service().equals(service))
                .filter(a -> outcome == null || a.outcome().equals(outcome))
                .limit(limit)
                .toList();
    }

    /** Reports are not what the pipeline tests with this store are about: kept in memory, bounded by nothing. */
    private final Map<String, ClientReport> reports = new TreeMap<>();

    @Override
    public synchronized List<ClientReport> recordReports(
            final List<ClientReport> batch, final int maxClientsPerService) {
        for (final var r : batch) {
            reports.put(r.service() + "\0" + r.clientId(), r);
        }
        return List.of();
    }

    @Override
    public synchronized List<StoredReport> reports() {
        return reports.values().stream().map(r -> new StoredReport(r, null)).toList();
    }

    @Override
    public synchronized int forgetReports(final String clientId) {
        final int before = reports.size();
        reports.values().removeIf(r -> r.clientId().equals(clientId));
        return before - reports.size();
    }

    @Override
    public synchronized Map<String, String> schemas() {
        return Map.copyOf(schemas);
    }

    @Override
    public synchronized void putSchema(final String service, final String schemaJson, final AuditRecord line) {
        if (failSchemasWith != null) {
            throw failSchemasWith;
        }
        schemas.put(service, schemaJson);
        audit.add(line);
    }

    @Override
    public void close() {}

    /** The writer never moves a whole store; the export and import tests use the real ones. */
    @Override
    public void exportTo(final StoreContent.Sink sink, final boolean withAudit) {
        throw new UnsupportedOperationException("not a store the writer's tests export");
    }

    @Override
    public long importFrom(final StoreContent.Source source) {
        throw new UnsupportedOperationException("not a store the writer's tests import into");
    }
}
