package dev.configmanager.pipeline;

import com.codahale.metrics.MetricRegistry;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.store.AuditRecord;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.StoreStatusListener;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigResult.Accepted;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;
import dev.configmanager.wire.RequestOrigin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One batch of the writer, against a store in memory that can fail: who gets which answer, and what is stored. */
@Tag("unit")
class BatchCommitTest {

    private final MemoryStore store = new MemoryStore();
    private final SchemaRegistry schemas = SchemaRegistry.empty();
    private final List<ConfigVersion> published = new ArrayList<>();
    private final List<String> storeEvents = new ArrayList<>();
    private CompletableFuture<Void> publication = CompletableFuture.completedFuture(null);
    private final BatchCommit batches = new BatchCommit(
            store,
            new ConfigDecider(schemas, ExtensionSettings.defaults()),
            schemas,
            new CurrentVersions(store),
            v -> {
                published.add(v);
                return publication;
            },
            new PipelineMetrics(new MetricRegistry()),
            Clock.fixed(Instant.EPOCH, ZoneOffset.UTC),
            new StoreStatusReport(new StoreStatusListener() {
                @Override
                public void storeAvailable() {
                    storeEvents.add("available");
                }

                @Override
                public void storeUnavailable(final String reason) {
                    storeEvents.add("unavailable");
                }
            }),
            Duration.ofMinutes(5));

    @Test
    void aBatchIsOneCommitAndEveryRequestIsAnswered() throws Exception {
        final var a = set("svc-a", "{\"x\":1}", null);
        final var b = set("svc-b", "{\"x\":2}", null);
        final var c = set("svc-c", "{\"x\":3}", null);
        batches.process(List.of(a, b, c));
        assertEquals(1, store.commits);
        for (final Pending.Decide p : List.of(a, b, c)) {
            assertEquals(
                    1, assertInstanceOf(Accepted.class, p.answer().getNow(null)).version());
        }
        assertEquals(3, published.size(), "each new version is published");
    }

    @Test
    void laterRequestsOfABatchAreDecidedAgainstEarlierOnes() throws Exception {
        final var first = set("svc", "{\"x\":1}", 0L);
        final var second = set("svc", "{\"x\":2}", 0L);
        final var third = set("svc", "{\"x\":3}", 1L);
        batches.process(List.of(first, second, third));
        assertEquals(1, ((Accepted) first.answer().getNow(null)).version());
        assertEquals(ErrorCode.VERSION_CONFLICT, ((Rejected) second.answer().getNow(null)).code());
        assertEquals(2, ((Accepted) third.answer().getNow(null)).version());
    }

    @Test
    void aStoreThatFailsAnswersEveryDecisionStoreUnavailableAndNothingIsKept() throws Exception {
        store.failNextCommit();
        final var set = set("svc", "{\"x\":1}", null);
        final var early = refused("svc-bad", ErrorCode.INVALID_JSON);
        batches.process(List.of(set, early));
        assertEquals(ErrorCode.STORE_UNAVAILABLE, ((Rejected) set.answer().getNow(null)).code());
        assertEquals(
                ErrorCode.INVALID_JSON,
                ((Rejected) early.answer().getNow(null)).code(),
                "an early rejection stays what it was");
        assertTrue(published.isEmpty(), "nothing unstored is published");
        assertEquals(List.of("unavailable"), storeEvents);

        final var again = set("svc", "{\"x\":1}", 0L);
        batches.process(List.of(again));
        assertEquals(
                1,
                ((Accepted) again.answer().getNow(null)).version(),
                "the failed batch's decision was forgotten: the service still has no config");
        assertEquals(List.of("unavailable", "available"), storeEvents);
    }

    @Test
    void rowsTheDatabaseRefusesFailAloneAndTheRestOfTheBatchIsStored() throws Exception {
        store.refusedServices.add("svc-long");
        final var ok1 = set("svc-a", "{\"x\":1}", null);
        final var bad = set("svc-long", "{\"x\":2}", null);
        final var ok2 = set("svc-b", "{\"x\":3}", null);
        batches.process(List.of(ok1, bad, ok2));
        assertInstanceOf(Accepted.class, ok1.answer().getNow(null));
        assertInstanceOf(Accepted.class, ok2.answer().getNow(null));
        final Rejected r = (Rejected) bad.answer().getNow(null);
        assertEquals(ErrorCode.INTERNAL, r.code());
        assertEquals(
                List.of("svc-a", "svc-b"),
                store.history.stream().map(ConfigVersion::service).toList());
        assertTrue(
                store.audit.stream()
                        .anyMatch(a ->
                                a.service().equals("svc-long") && a.outcome().equals("rejected")),
                "the refused request is audited as rejected");
        assertTrue(storeEvents.isEmpty(), "a refused row is not a failed database");
    }

    @Test
    void anEarlyRejectionIsAuditedInOrderWithTheDecisions() throws Exception {
        final var before = set("svc", "{\"x\":1}", null);
        final var early = refused("svc", ErrorCode.INVALID_REQUEST);
        final var after = set("svc", "{\"x\":2}", null);
        batches.process(List.of(before, early, after));
        assertEquals(
                List.of("accepted", "rejected", "accepted"),
                store.audit.stream().map(AuditRecord::outcome).toList());
    }

    @Test
    void aRequesterHearsAcceptedOnlyOnceItsVersionIsPublished() throws Exception {
        publication = new CompletableFuture<>();
        final var set = set("svc", "{\"x\":1}", null);
        batches.process(List.of(set));
        assertFalse(set.answer().isDone(), "stored, but not yet on config/updated");
        publication.complete(null);
        assertInstanceOf(Accepted.class, set.answer().getNow(null));
    }

    @Test
    void aSchemaChangeBetweenTwoRequestsSplitsTheBatchAroundIt() throws Exception {
        final var before = set("svc", "{\"port\":\"eighty\"}", null);
        final var change = schemaChange();
        final var after = set("svc", "{\"port\":\"ninety\"}", null);
        batches.process(List.of(before, change, after));
        assertInstanceOf(Accepted.class, before.answer().getNow(null));
        assertTrue(change.done().getNow(null).isEmpty());
        assertEquals(ErrorCode.SCHEMA_VIOLATION, ((Rejected) after.answer().getNow(null)).code());
        assertEquals(2, store.commits, "the requests before and after the change are committed apart");
    }

    @Test
    void aSchemaChangeItsRequesterGaveUpOnIsNeverApplied() throws Exception {
        final var change = schemaChange();
        assertTrue(change.claim(), "the requester that timed out withdraws it");
        batches.process(List.of(change));
        assertTrue(store.schemas.isEmpty(), "not stored");
        assertEquals(0, schemas.generation("svc"), "not in force");
    }

    @Test
    void aFailureLaterInWhatTheWriterTookLeavesEarlierAnswersAlone() throws Exception {
        publication = new CompletableFuture<>();
        store.failSchemasWith = new IllegalStateException("a defect while storing the schema");
        final var stored = set("svc", "{\"x\":1}", null);
        final var change = schemaChange();
        batches.process(List.of(stored, change));
        assertEquals(
                ErrorCode.INTERNAL, change.done().getNow(null).orElseThrow().code(), "the failing part is answered");
        assertEquals(List.of("unavailable"), storeEvents, "and shown in the extension's health");
        assertFalse(stored.answer().isDone(), "the earlier request waits only for its publication");
        publication.complete(null);
        assertEquals(1, ((Accepted) stored.answer().getNow(null)).version(), "and is answered as what it is: stored");
    }

    @Test
    void aRequestIdAnotherBrokerAnsweredFirstGetsThatAnswerAndIsNotAppliedAgain() throws Exception {
        final var first = set("svc", "{\"x\":1}", 0L, "req-1");
        batches.process(List.of(first));
        assertEquals(1, ((Accepted) first.answer().getNow(null)).version());
        assertInstanceOf(Accepted.class, store.answers.get("svc/req-1"), "the answer is kept with the commit");

        // the same id retried at another broker, which has not heard of it: decided there as new, the commit is
        // refused on the answer's key, and the retry is answered with the stored answer
        store.answers.put("svc/req-2", new Accepted("svc", 7, "c".repeat(64), false));
        final var retried = set("svc", "{\"x\":2}", 1L, "req-2");
        final var other = set("svc", "{\"x\":3}", 1L, "req-3");
        batches.process(List.of(retried, other));
        final Accepted answer = (Accepted) retried.answer().getNow(null);
        assertEquals(7, answer.version(), "the first answer, not a new decision");
        assertEquals(2, ((Accepted) other.answer().getNow(null)).version(), "the rest of the batch goes on");
        assertEquals(
                List.of(1L, 2L),
                store.history.stream().map(ConfigVersion::version).toList(),
                "the retried request was not applied");
    }

    @Test
    void transientFailuresAreNotKeptAsAnswers() throws Exception {
        store.failNextCommit();
        final var failed = set("svc", "{\"x\":1}", null, "req-1");
        batches.process(List.of(failed));
        assertEquals(ErrorCode.STORE_UNAVAILABLE, ((Rejected) failed.answer().getNow(null)).code());
        final var retry = set("svc", "{\"x\":1}", null, "req-1");
        batches.process(List.of(retry));
        assertEquals(1, ((Accepted) retry.answer().getNow(null)).version(), "the retry is applied");
    }

    private static Pending.SchemaChange schemaChange() throws Exception {
        return Pending.SchemaChange.of(
                "svc",
                Json.parse("{\"type\":\"object\",\"properties\":{\"port\":{\"type\":\"integer\"}}}"),
                new AuditRecord(
                        Instant.EPOCH,
                        "svc",
                        "schema",
                        RequestOrigin.HTTP,
                        "http:admin",
                        null,
                        "accepted",
                        null,
                        null,
                        null));
    }

    private static Pending.Decide set(final String service, final String config, final Long expected) throws Exception {
        return set(service, config, expected, null);
    }

    /** With a requester's request id, whose answer a shared store keeps. */
    private static Pending.Decide set(
            final String service, final String config, final Long expected, final String requestId) throws Exception {
        final var request = new ConfigRequest(
                Action.SET, service, Json.parse(config), 0, expected, requestId, "test", RequestOrigin.HTTP, null);
        return new Pending.Decide(request, null, new CompletableFuture<ConfigResult>(), requestId != null);
    }

    private static Pending.Refused refused(final String service, final ErrorCode code) {
        final Rejected r = Rejected.of(service, code, "test");
        return new Pending.Refused(
                r,
                RequestAudit.rejected(r, "set", RequestOrigin.MQTT, "mqtt:x", "id-1", null, Instant.EPOCH),
                new CompletableFuture<>());
    }
}
