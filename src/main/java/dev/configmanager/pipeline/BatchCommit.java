package dev.configmanager.pipeline;

import dev.configmanager.pipeline.ConfigDecider.Decision;
import dev.configmanager.store.AuditRecord;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.RequestAnswer;
import dev.configmanager.store.RequestAnsweredException;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.store.VersionTakenException;
import dev.configmanager.store.WriteRefusedException;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One batch of the writer: every request decided in order against what the batch decided before it, all of them
 * committed with one sync, then each new version published and each requester answered. A failure answers each
 * request for what happened to it: a database that fails answers every decision {@code store_unavailable}; rows the
 * database refuses are retried one request at a time, so the request that cannot be stored fails alone.
 */
final class BatchCommit {

    private static final Logger log = LoggerFactory.getLogger(BatchCommit.class);
    /** How often a batch is decided again when other writers keep taking its versions first, before going one by one. */
    private static final int MAX_REDECISIONS = 5;

    private static final String STORE_DOWN = "the config database is unavailable; writes are rejected";

    private final ConfigStore store;
    private final ConfigDecider decider;
    private final SchemaRegistry schemas;
    private final CurrentVersions current;
    private final ConfigPublication publication;
    private final PipelineMetrics metrics;
    private final Clock clock;
    private final StoreStatusReport storeStatus;
    /** How long a shared store keeps the answer to a requester's id (the dedup window). */
    private final Duration answersKept;

    BatchCommit(
            final ConfigStore store,
            final ConfigDecider decider,
            final SchemaRegistry schemas,
            final CurrentVersions current,
            final ConfigPublication publication,
            final PipelineMetrics metrics,
            final Clock clock,
            final StoreStatusReport storeStatus,
            final Duration answersKept) {
        this.store = store;
        this.decider = decider;
        this.schemas = schemas;
        this.current = current;
        this.publication = publication;
        this.metrics = metrics;
        this.clock = clock;
        this.storeStatus = storeStatus;
        this.answersKept = answersKept;
    }

    /** One outcome of a batch: the answer, and the version to publish before answering (or {@code null}). */
    private record Outcome(ConfigResult result, @Nullable ConfigVersion written) {}

    /**
     * Applies what the writer took, in order: each run of config requests as one commit, each schema change on its
     * own between them.
     */
    void process(final List<Pending> taken) {
        final List<Pending.Request> run = new ArrayList<>(taken.size());
        for (final Pending p : taken) {
            if (p instanceof Pending.Request request) {
                run.add(request);
            } else {
                if (!run.isEmpty()) {
                    final List<Pending.Request> before = List.copyOf(run);
                    contained(before, () -> commit(before));
                    run.clear();
                }
                final Pending.SchemaChange change = (Pending.SchemaChange) p;
                contained(List.of(change), () -> changeSchema(change));
            }
        }
        if (!run.isEmpty()) {
            contained(run, () -> commit(run));
        }
    }

    /**
     * A defect (or exhaustion) while applying one part of what the writer took fails that part alone: requests of an
     * earlier part, stored and waiting only for their publication, keep their answers.
     */
    private void contained(final List<? extends Pending> part, final Runnable apply) {
        try {
            apply.run();
        } catch (final RuntimeException | StackOverflowError | OutOfMemoryError e) {
            log.error("config-manager: the writer failed on {} request(s)", part.size(), e);
            part.forEach(p -> p.refuse(
                    Rejected.of(p.service(), ErrorCode.INTERNAL, "internal error while applying the request")));
            storeStatus.report("the config writer failed on a request; see the broker log");
        }
    }

    /**
     * Stores the schema, then puts it in force: requests decided after this see it, none before did. A change its
     * requester gave up waiting for is not applied.
     */
    private void changeSchema(final Pending.SchemaChange change) {
        if (!change.claim()) {
            return;
        }
        try {
            store.putSchema(change.service(), CanonicalJson.write(change.schema()), change.audit());
        } catch (final StoreUnavailableException e) {
            storeStatus.report(STORE_DOWN);
            change.refuse(Rejected.of(change.service(), ErrorCode.STORE_UNAVAILABLE, e.getMessage()));
            return;
        }
        storeStatus.report(null);
        schemas.install(change.service(), change.schema());
        change.done().complete(Optional.empty());
    }

    /** Decides every request of the batch in order, commits them with one sync, then publishes and answers. */
    private void commit(final List<Pending.Request> batch) {
        commit(batch, 0);
    }

    /** @param redecided how often this batch was decided again after another writer took a version first */
    private void commit(final List<Pending.Request> all, final int redecided) {
        // decided again after a conflict: another broker may have answered some of these request ids meanwhile
        final List<Pending.Request> batch = redecided == 0 ? all : answeredElsewhere(all);
        if (batch.isEmpty()) {
            return;
        }
        final CurrentVersions.Batch view = current.batch();
        final List<ConfigVersion> versions = new ArrayList<>();
        final List<AuditRecord> audit = new ArrayList<>();
        final List<RequestAnswer> answers = new ArrayList<>();
        final List<Outcome> outcomes = new ArrayList<>(batch.size());
        boolean storeFailed = false;
        for (final Pending.Request p : batch) {
            if (p instanceof Pending.Refused refused) {
                audit.add(refused.audit());
                outcomes.add(new Outcome(refused.rejection(), null));
                continue;
            }
            final Pending.Decide decide = (Pending.Decide) p;
            try {
                final Outcome decided = decide(decide, view);
                if (decided.written() != null) {
                    versions.add(decided.written());
                    view.decided(decided.written());
                }
                final Instant now = clock.instant();
                audit.add(RequestAudit.of(decide.request(), decided.result(), now));
                if (decide.remembered() && !isTransient(decided.result())) {
                    final ConfigRequest r = decide.request();
                    answers.add(new RequestAnswer(r.service(), r.requestId(), decided.result(), now.plus(answersKept)));
                }
                outcomes.add(decided);
            } catch (final StoreUnavailableException e) {
                storeFailed = true;
                outcomes.add(new Outcome(Rejected.of(p.service(), ErrorCode.STORE_UNAVAILABLE, e.getMessage()), null));
            }
        }
        if (!storeFailed) {
            try {
                final long started = System.nanoTime();
                store.commit(versions, audit, answers);
                metrics.committed(batch.size(), System.nanoTime() - started);
                view.committed(versions);
            } catch (final StoreUnavailableException e) {
                storeFailed = true;
                log.error(
                        "config-manager: {} request(s) rejected with store_unavailable: {}",
                        batch.size(),
                        e.getMessage());
            } catch (final VersionTakenException | RequestAnsweredException e) {
                // another broker on the same database stored a version first (what this batch decided rests on a
                // current version that is gone) or answered one of its request ids: decided again on what is stored
                view.discarded();
                if (redecided < MAX_REDECISIONS) {
                    log.debug("config-manager: {}; deciding the batch again", e.getMessage());
                    commit(batch, redecided + 1);
                } else if (batch.size() > 1) {
                    batch.forEach(p -> commit(List.of(p)));
                } else {
                    refusedAlone(batch.get(0), e);
                }
                return;
            } catch (final WriteRefusedException e) {
                // the database works but refused a row of this batch: decide and commit each request on its own,
                // so the one that cannot be stored fails alone
                view.discarded();
                if (batch.size() > 1) {
                    batch.forEach(p -> commit(List.of(p)));
                } else {
                    refusedAlone(batch.get(0), e);
                }
                return;
            }
        }
        storeStatus.report(storeFailed ? STORE_DOWN : null);
        if (storeFailed) {
            // Decisions in this batch may rest on versions that were never stored: answer none of them as decided.
            view.discarded();
            for (int i = 0; i < batch.size(); i++) {
                if (batch.get(i) instanceof Pending.Decide) {
                    outcomes.set(
                            i,
                            new Outcome(
                                    Rejected.of(
                                            batch.get(i).service(),
                                            ErrorCode.STORE_UNAVAILABLE,
                                            "the config database is unavailable; nothing was stored"),
                                    null));
                }
            }
        }
        for (int i = 0; i < batch.size(); i++) {
            answer(batch.get(i), outcomes.get(i));
        }
    }

    private static boolean isTransient(final ConfigResult result) {
        return result instanceof Rejected r && r.code().isTransient();
    }

    /**
     * Answers the requests whose ids another broker on the shared store answered first with that answer, never
     * applying them twice; returns the others. A store that cannot be read answers all of them {@code
     * store_unavailable}.
     */
    private List<Pending.Request> answeredElsewhere(final List<Pending.Request> batch) {
        final Map<String, List<String>> ids = new LinkedHashMap<>();
        for (final Pending.Request p : batch) {
            if (p instanceof Pending.Decide d && d.remembered()) {
                ids.computeIfAbsent(d.service(), s -> new ArrayList<>())
                        .add(d.request().requestId());
            }
        }
        final Map<String, Map<String, ConfigResult>> found = new LinkedHashMap<>();
        try {
            for (final Map.Entry<String, List<String>> service : ids.entrySet()) {
                found.put(service.getKey(), store.answered(service.getKey(), service.getValue(), clock.instant()));
            }
        } catch (final StoreUnavailableException e) {
            storeStatus.report(STORE_DOWN);
            for (final Pending.Request p : batch) {
                p.answer()
                        .complete(
                                p instanceof Pending.Refused r
                                        ? r.rejection()
                                        : Rejected.of(p.service(), ErrorCode.STORE_UNAVAILABLE, e.getMessage()));
            }
            return List.of();
        }
        final List<Pending.Request> rest = new ArrayList<>(batch.size());
        for (final Pending.Request p : batch) {
            final ConfigResult first = p instanceof Pending.Decide d && d.remembered()
                    ? found.getOrDefault(d.service(), Map.of()).get(d.request().requestId())
                    : null;
            if (first == null) {
                rest.add(p);
            } else {
                metrics.duplicate();
                log.debug(
                        "config-manager: request {} for {} was answered by another broker; answering with that "
                                + "answer",
                        ((Pending.Decide) p).request().requestId(),
                        p.service());
                p.answer().complete(first);
            }
        }
        return rest;
    }

    private Outcome decide(final Pending.Decide p, final CurrentVersions.Batch view) throws StoreUnavailableException {
        final ConfigRequest r = p.request();
        try {
            final Decision d =
                    decider.decide(r, view.current(r.service()), store::version, clock.instant(), p.prepared());
            return new Outcome(d.result(), d.newVersion());
        } catch (final RuntimeException e) {
            log.error("config-manager: request {} for {} failed unexpectedly", r.requestId(), r.service(), e);
            return new Outcome(
                    Rejected.of(r.service(), ErrorCode.INTERNAL, "internal error while applying the request"), null);
        }
    }

    /** A request whose rows the database refused even on their own: rejected, audited if that still works. */
    private void refusedAlone(final Pending.Request p, final WriteRefusedException e) {
        log.error(
                "config-manager: a request for {} could not be stored (the database refused its rows); nothing of "
                        + "it was stored: {}",
                p.service(),
                e.getMessage());
        final Rejected refused = Rejected.of(
                p.service(),
                ErrorCode.INTERNAL,
                "the config database refused to store this request; nothing was stored");
        final Outcome outcome;
        final AuditRecord line;
        if (p instanceof Pending.Refused r) {
            outcome = new Outcome(r.rejection(), null);
            line = r.audit();
        } else {
            outcome = new Outcome(refused, null);
            line = RequestAudit.of(((Pending.Decide) p).request(), refused, clock.instant());
        }
        try {
            store.commit(List.of(), List.of(line));
        } catch (final StoreUnavailableException | WriteRefusedException again) {
            log.warn("config-manager: the refused request could not be audited either: {}", again.getMessage());
        }
        answer(p, outcome);
    }

    /** Publishes a new version, then answers: a requester that hears "accepted" finds it on config/updated. */
    private void answer(final Pending.Request p, final Outcome outcome) {
        metrics.result(outcome.result());
        final ConfigVersion written = outcome.written();
        if (written == null) {
            p.answer().complete(outcome.result());
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
                log.error(
                        "config-manager: {} v{} is stored but publishing it failed; it is published again at the "
                                + "next start",
                        written.service(),
                        written.version(),
                        error);
            }
            p.answer().complete(outcome.result());
        });
    }
}
