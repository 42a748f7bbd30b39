package dev.configmanager.pipeline;

import com.codahale.metrics.MetricRegistry;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.config.TopicLayout.RequestTopic;
import dev.configmanager.pipeline.ConfigDecider.Decision;
import dev.configmanager.pipeline.RequestParser.Parsed;
import dev.configmanager.store.AuditRecord;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.ConfigVersion.Origin;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.store.WriteRefusedException;
import dev.configmanager.wire.ClientText;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigResult.Accepted;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.Envelope;
import dev.configmanager.wire.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The one path every config change takes, whatever its origin: parse, deduplicate, decide against the current state,
 * commit durably, publish, answer.
 * <p>
 * Parsing runs on a small pool (small requests on the caller's thread); deciding and committing run on a single
 * writer thread that takes whatever requests
 * are waiting and commits them together with one disk sync (group commit). One writer means decisions never race:
 * two requests with the same {@code expected_version} cannot both win. Nothing here runs on a broker thread.
 */
public final class ConfigPipeline implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConfigPipeline.class);
    private static final int QUEUE_CAPACITY = 10_000;
    private static final int MAX_BATCH = 256;
    /** The longest a request waits for others to share its commit (only when the last commit was shared). */
    private static final long GATHER_NANOS = TimeUnit.MICROSECONDS.toNanos(1_000);
    /** Requests up to this size are parsed on the caller's thread (a linear scan and a small tree). */
    private static final int INLINE_PARSE_BYTES = 8 * 1024;
    private static final long HOT_SET_MAX_CHARS = 64L * 1024 * 1024;
    private static final String STORE_DOWN = "the config database is unavailable; writes are rejected";

    /** Told when the store starts or stops working, as seen by the writes that use it. */
    public interface StoreStatusListener {
        void storeAvailable();

        void storeUnavailable(String reason);
    }

    /** The answer to a request, with the id its result envelope carries. */
    public record Answer(String requestId, ConfigResult result) {
    }

    /**
     * A request waiting for the writer (with its content checked beforehand where that was possible), or a rejection
     * waiting only to be audited.
     */
    private record Pending(ConfigRequest request, ConfigDecider.Content prepared, Rejected early,
                           AuditRecord earlyAudit, CompletableFuture<ConfigResult> answer) {
    }

    private final ConfigStore store;
    private final ConfigDecider decider;
    private final SchemaRegistry schemas;
    private final RequestParser parser;
    private final DedupWindow dedup;
    private final ConfigPublication publication;
    private final PipelineMetrics metrics;
    private final Clock clock;
    private final StoreStatusListener storeStatus;
    private volatile boolean storeWorking = true; // written by the writer thread only
    private final ThreadPoolExecutor parsers;
    private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Cache<String, Optional<ConfigVersion>> latest;
    private final Thread writer;
    private volatile boolean running = true;
    /** Guards the hand-over between {@link #enqueue} and the writer's last drain. */
    private final Object intake = new Object();
    private boolean writerDone; // guarded by intake

    public ConfigPipeline(final ExtensionSettings settings, final ConfigStore store, final SchemaRegistry schemas,
                          final ConfigPublication publication, final MetricRegistry metricRegistry,
                          final Clock clock, final StoreStatusListener storeStatus) {
        this.store = store;
        this.decider = new ConfigDecider(schemas, settings);
        this.schemas = schemas;
        this.parser = new RequestParser(settings.maxPayloadBytes(), settings.maxDepth());
        this.dedup = new DedupWindow(settings.dedupWindow(), settings.dedupMaxEntries());
        this.publication = publication;
        this.metrics = new PipelineMetrics(metricRegistry);
        this.clock = clock;
        this.storeStatus = storeStatus;
        this.latest = Caffeine.newBuilder()
                .maximumWeight(HOT_SET_MAX_CHARS)
                .weigher((String service, Optional<ConfigVersion> v) ->
                        64 + v.map(c -> c.config() == null ? 0 : c.config().length()).orElse(0))
                .build();
        this.parsers = Threads.boundedPool("config-manager-parse", 2, QUEUE_CAPACITY);
        this.writer = Threads.start("config-manager-writer", this::writeLoop);
    }

    /** Whether the last commit worked. */
    public boolean storeWorking() {
        return storeWorking;
    }

    /**
     * A request as it arrived over MQTT. Never blocks the caller: a small payload is read in place, a larger one on
     * the pipeline's own threads. An unauthorized request is still read, only to answer with its request id, and is
     * rejected with {@code not_authorized} whatever it says.
     *
     * @param auditNote what the audit log should say besides the outcome, or {@code null}
     */
    public CompletableFuture<Answer> submitMqtt(final RequestTopic topic, final ByteBuffer payload,
                                                final String clientId, final boolean authorized,
                                                final String auditNote) {
        final ByteBuffer copy = copyWithinLimit(payload);
        // the client id is the client's own text: it reaches columns, logs and the updated-by user property
        final String requester = "mqtt:" + ClientText.escape(clientId, 240);
        return parseThenSubmit(topic, () -> parser.parse(topic, copy, requester, Origin.MQTT), requester, Origin.MQTT,
                authorized ? null : "client '" + ClientText.escape(clientId, 80) + "' may not "
                        + topic.action().topicLevel() + " '" + ClientText.escape(topic.service(), 64) + "'",
                copy.remaining(), auditNote);
    }

    /** A request from the console: the body is the document itself, the expected version comes from If-Match. */
    public CompletableFuture<Answer> submitHttp(final RequestTopic topic, final ByteBuffer body,
                                                final Long expectedVersion, final String requestId,
                                                final String requester) {
        final ByteBuffer copy = copyWithinLimit(body);
        return parseThenSubmit(topic, () -> parser.parseHttp(topic, copy, expectedVersion, requestId, requester),
                requester, Origin.HTTP, null, copy.remaining(), null);
    }

    /**
     * What {@code config} would meet if it were written now, without writing it: size, depth and the service's
     * schema. Empty when it would be accepted.
     */
    public Optional<Rejected> dryRun(final String service, final ByteBuffer body) {
        final Parsed parsed = parser.parseHttp(new RequestTopic(dev.configmanager.config.TopicLayout.Action.SET,
                service), body, null, null, "dry-run");
        return parsed instanceof Parsed.Ok ok
                ? Optional.ofNullable(decider.content(service, null, ok.request().document()).problem())
                : Optional.of(((Parsed.Failed) parsed).rejection());
    }

    private CompletableFuture<Answer> parseThenSubmit(final RequestTopic topic, final Supplier<Parsed> parse,
                                                      final String requester, final Origin origin,
                                                      final String refusal, final int payloadBytes,
                                                      final String auditNote) {
        final CompletableFuture<Answer> answer = new CompletableFuture<>();
        final String action = topic.action().topicLevel();
        final Runnable work = () -> {
            try {
                final Parsed parsed = parse.get();
                if (refusal != null) {
                    final String id = parsed instanceof Parsed.Ok ok ? ok.request().requestId()
                            : ((Parsed.Failed) parsed).requestId();
                    final String service = parsed instanceof Parsed.Failed f ? f.rejection().service()
                            : topic.service();
                    relay(rejectEarly(new Parsed.Failed(Rejected.of(service, ErrorCode.NOT_AUTHORIZED, refusal), id),
                            action, requester, origin, auditNote), answer);
                } else if (parsed instanceof Parsed.Ok ok) {
                    relay(submit(ok.request().withAuditNote(auditNote)), answer);
                } else {
                    relay(rejectEarly((Parsed.Failed) parsed, action, requester, origin, auditNote), answer);
                }
            } catch (final RuntimeException e) {
                log.error("config-manager: reading a {} request for '{}' failed unexpectedly",
                        topic.action().topicLevel(), ClientText.escape(topic.service(), 64), e);
                answer.complete(new Answer(Envelope.newId(), Rejected.of(topic.service(), ErrorCode.INTERNAL,
                        "internal error while reading the request")));
            }
        };
        if (payloadBytes <= INLINE_PARSE_BYTES && !schemas.hasSchema(topic.service())) {
            // A small request is read in microseconds: a hand-off to the pool would cost more than the work. One
            // that a schema validates goes to the pool: a schema's patterns may spend up to their budget on it.
            work.run();
            return answer;
        }
        try {
            parsers.execute(work);
        } catch (final RejectedExecutionException e) {
            answer.complete(new Answer(Envelope.newId(), overloaded(topic.service())));
        }
        return answer;
    }

    /** A well-formed request from any front end. */
    public CompletableFuture<Answer> submit(final ConfigRequest request) {
        final boolean clientId = request.requestId() != null;
        final String requestId = clientId ? request.requestId() : Envelope.newId();
        final ConfigRequest withId = clientId ? request : request.withRequestId(requestId);
        final CompletableFuture<ConfigResult> result = new CompletableFuture<>();
        if (clientId) {
            final Optional<CompletableFuture<ConfigResult>> first = dedup.claim(request.service(), requestId, result);
            if (first.isPresent()) {
                metrics.duplicate();
                log.debug("config-manager: request {} for {} is a duplicate; answering with its first answer",
                        requestId, request.service());
                return first.get().thenApply(r -> new Answer(requestId, r));
            }
        }
        enqueue(new Pending(withId, prepare(withId), null, null, result));
        return result.thenApply(r -> new Answer(requestId, r));
    }

    /**
     * Merge, validation and canonical form, on the submitting thread instead of the writer's (the writer checks that
     * a patch's base is still current). A defect here only means the writer does the work itself.
     */
    private ConfigDecider.Content prepare(final ConfigRequest request) {
        try {
            return decider.prepare(request, latest.getIfPresent(request.service()));
        } catch (final RuntimeException e) {
            log.warn("config-manager: checking request {} before the writer failed; the writer checks it: {}",
                    request.requestId(), e.toString());
            return null;
        }
    }

    private CompletableFuture<Answer> rejectEarly(final Parsed.Failed failed, final String action,
                                                  final String requester, final Origin origin,
                                                  final String auditNote) {
        final String requestId = failed.requestId() != null ? failed.requestId() : Envelope.newId();
        final Rejected r = failed.rejection();
        final CompletableFuture<ConfigResult> result = new CompletableFuture<>();
        enqueue(new Pending(null, null, r, new AuditRecord(clock.instant(), r.service(), action, origin, requester,
                requestId, "rejected", null, r.code().wire(), withNote(r.message(), auditNote)), result));
        return result.thenApply(x -> new Answer(requestId, x));
    }

    /**
     * Hands a request to the writer. Under {@link #intake}, so a request is either queued before the writer's last
     * drain (and answered by it) or sees that the writer is done (and is answered here): none is left unanswered.
     */
    private void enqueue(final Pending pending) {
        synchronized (intake) {
            if (!running || writerDone) {
                pending.answer().complete(Rejected.of(service(pending), ErrorCode.STORE_UNAVAILABLE, running
                        ? "the config writer stopped after an error; see the broker log" : "config-manager is stopping"));
            } else if (!queue.offer(pending)) {
                pending.answer().complete(overloaded(service(pending)));
            }
        }
    }

    private void writeLoop() {
        try {
            writeBatches();
        } catch (final Throwable t) {
            log.error("config-manager: the writer stopped; config writes are refused until the broker restarts", t);
            reportStore("the config writer stopped after an error; writes are refused until the broker restarts");
        } finally {
            synchronized (intake) {
                writerDone = true;
            }
            Pending left;
            while ((left = queue.poll()) != null) {
                left.answer().complete(Rejected.of(service(left), ErrorCode.STORE_UNAVAILABLE,
                        "config-manager is stopping"));
            }
        }
    }

    private void writeBatches() {
        final List<Pending> batch = new ArrayList<>(MAX_BATCH);
        int lastBatch = 1;
        while (running || !queue.isEmpty()) {
            try {
                final Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    lastBatch = 1;
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                if (batch.size() < lastBatch) {
                    gather(batch, lastBatch);
                }
                lastBatch = batch.size();
                processBatch(batch);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (final RuntimeException | StackOverflowError | OutOfMemoryError e) {
                // one batch's defect (or exhaustion) is answered and shown in the extension's health; the writer
                // goes on with the next batch rather than leave every later request unanswered
                log.error("config-manager: the writer failed on a batch of {} request(s)", batch.size(), e);
                batch.forEach(p -> p.answer().complete(Rejected.of(service(p), ErrorCode.INTERNAL,
                        "internal error while applying the request")));
                reportStore("the config writer failed on a request; see the broker log");
            } finally {
                batch.clear();
            }
        }
    }

    /**
     * Under load, waits a little for the requests the last commit answered to come back, so they share the next
     * commit instead of each paying for a sync of their own (on a machine where commits cost CPU, fewer and larger
     * commits leave more of it for everything else). Alone, a request never waits: the last batch was one.
     */
    private void gather(final List<Pending> batch, final int target) throws InterruptedException {
        final long deadline = System.nanoTime() + GATHER_NANOS;
        while (batch.size() < target) {
            final long left = deadline - System.nanoTime();
            final Pending next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
            if (next == null) {
                return;
            }
            batch.add(next);
            queue.drainTo(batch, MAX_BATCH - batch.size());
        }
    }

    private void processBatch(final List<Pending> batch) {
        final Map<String, Optional<ConfigVersion>> view = new HashMap<>();
        final List<ConfigVersion> versions = new ArrayList<>();
        final List<AuditRecord> audit = new ArrayList<>();
        final List<ConfigResult> results = new ArrayList<>(batch.size());
        final List<ConfigVersion> published = new ArrayList<>(batch.size());
        boolean storeFailed = false;
        for (final Pending p : batch) {
            ConfigVersion written = null;
            ConfigResult result;
            if (p.early() != null) {
                result = p.early();
                audit.add(p.earlyAudit());
            } else {
                try {
                    final ConfigRequest r = p.request();
                    final Optional<ConfigVersion> current = current(view, r.service());
                    final Decision d = decider.decide(r, current, store::version, clock.instant(), p.prepared());
                    result = d.result();
                    written = d.newVersion();
                    if (written != null) {
                        versions.add(written);
                        view.put(r.service(), Optional.of(written));
                    }
                    audit.add(audit(r, result));
                } catch (final StoreUnavailableException e) {
                    storeFailed = true;
                    result = Rejected.of(p.request().service(), ErrorCode.STORE_UNAVAILABLE, e.getMessage());
                } catch (final RuntimeException e) {
                    log.error("config-manager: request {} for {} failed unexpectedly", p.request().requestId(),
                            p.request().service(), e);
                    result = Rejected.of(p.request().service(), ErrorCode.INTERNAL,
                            "internal error while applying the request");
                }
            }
            results.add(result);
            published.add(written);
        }
        if (!storeFailed) {
            try {
                final long started = System.nanoTime();
                store.commit(versions, audit);
                metrics.committed(batch.size(), System.nanoTime() - started);
                versions.forEach(v -> latest.put(v.service(), Optional.of(v)));
            } catch (final StoreUnavailableException e) {
                storeFailed = true;
                log.error("config-manager: {} request(s) rejected with store_unavailable: {}", batch.size(),
                        e.getMessage());
            } catch (final WriteRefusedException e) {
                // the database works but refused a row of this batch: decide and commit each request on its own,
                // so the one that cannot be stored fails alone
                view.keySet().forEach(latest::invalidate);
                if (batch.size() > 1) {
                    batch.forEach(p -> processBatch(List.of(p)));
                } else {
                    refusedAlone(batch.get(0), e);
                }
                return;
            }
        }
        reportStore(storeFailed ? STORE_DOWN : null);
        if (storeFailed) {
            // Decisions in this batch may rest on versions that were never stored: answer none of them as decided.
            view.keySet().forEach(latest::invalidate);
            for (int i = 0; i < batch.size(); i++) {
                if (batch.get(i).early() == null) {
                    results.set(i, Rejected.of(service(batch.get(i)), ErrorCode.STORE_UNAVAILABLE,
                            "the config database is unavailable; nothing was stored"));
                    published.set(i, null);
                }
            }
        }
        for (int i = 0; i < batch.size(); i++) {
            answer(batch.get(i), results.get(i), published.get(i));
        }
    }

    /** A request whose rows the database refused even on their own: rejected, audited if that still works. */
    private void refusedAlone(final Pending p, final WriteRefusedException e) {
        log.error("config-manager: a request for {} could not be stored (the database refused its rows); nothing of "
                + "it was stored: {}", service(p), e.getMessage());
        final Rejected refused = Rejected.of(service(p), ErrorCode.INTERNAL,
                "the config database refused to store this request; nothing was stored");
        final AuditRecord line = p.request() == null ? p.earlyAudit() : audit(p.request(), refused);
        try {
            store.commit(List.of(), List.of(line));
        } catch (final StoreUnavailableException | WriteRefusedException again) {
            log.warn("config-manager: the refused request could not be audited either: {}", again.getMessage());
        }
        answer(p, p.early() != null ? p.early() : refused, null);
    }

    /** Tells the store status listener when writing starts or stops working; {@code problem} null: it works. */
    private void reportStore(final String problem) {
        final boolean failed = problem != null;
        if (failed == !storeWorking) {
            return;
        }
        storeWorking = !failed;
        try {
            if (failed) {
                storeStatus.storeUnavailable(problem);
            } else {
                storeStatus.storeAvailable();
            }
        } catch (final RuntimeException e) {
            log.warn("config-manager: store status listener failed: {}", e.toString());
        }
    }

    private void answer(final Pending p, final ConfigResult result, final ConfigVersion written) {
        metrics.result(result);
        if (written == null) {
            p.answer().complete(result);
            return;
        }
        CompletableFuture<Void> visible;
        try {
            visible = publication.publish(written);
        } catch (final RuntimeException e) {
            visible = CompletableFuture.failedFuture(e);
        }
        visible.whenComplete((ok, error) -> {
            if (error != null) {
                log.error("config-manager: {} v{} is stored but publishing it failed; it is published again at the "
                        + "next start", written.service(), written.version(), error);
            }
            p.answer().complete(result);
        });
    }

    private Optional<ConfigVersion> current(final Map<String, Optional<ConfigVersion>> view, final String service)
            throws StoreUnavailableException {
        final Optional<ConfigVersion> pending = view.get(service);
        if (pending != null) {
            return pending;
        }
        Optional<ConfigVersion> cached = latest.getIfPresent(service);
        if (cached == null) {
            cached = store.current(service);
            latest.put(service, cached);
        }
        view.put(service, cached);
        return cached;
    }

    private AuditRecord audit(final ConfigRequest r, final ConfigResult result) {
        final String action = r.action().topicLevel();
        if (result instanceof Accepted a) {
            return new AuditRecord(clock.instant(), r.service(), action, r.origin(), r.requester(), r.requestId(),
                    a.noop() ? "noop" : "accepted", a.version(), null, r.auditNote());
        }
        final Rejected j = (Rejected) result;
        return new AuditRecord(clock.instant(), r.service(), action, r.origin(), r.requester(), r.requestId(),
                "rejected", null, j.code().wire(), withNote(j.message(), r.auditNote()));
    }

    private static String withNote(final String message, final String note) {
        return note == null ? message : message == null ? note : message + " (" + note + ")";
    }

    private static String service(final Pending p) {
        return p.request() != null ? p.request().service() : p.early().service();
    }

    private ByteBuffer copyWithinLimit(final ByteBuffer payload) {
        if (payload.remaining() > parser.maxPayloadBytes()) {
            return payload.asReadOnlyBuffer(); // rejected on size alone, never read
        }
        final byte[] bytes = new byte[payload.remaining()];
        payload.duplicate().get(bytes);
        return ByteBuffer.wrap(bytes);
    }

    private static Rejected overloaded(final String service) {
        return Rejected.of(service, ErrorCode.STORE_UNAVAILABLE, "config-manager is overloaded; retry later");
    }

    private static void relay(final CompletableFuture<Answer> from, final CompletableFuture<Answer> to) {
        from.whenComplete((a, e) -> {
            if (e != null) {
                to.completeExceptionally(e);
            } else {
                to.complete(a);
            }
        });
    }

    /** Stops taking requests, finishes those already queued, and stops the threads. The store stays open. */
    @Override
    public void close() {
        running = false;
        parsers.shutdown();
        try {
            parsers.awaitTermination(5, TimeUnit.SECONDS);
            writer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
