package dev.configmanager.store;

import dev.configmanager.support.PostgresExtension;
import dev.configmanager.support.PostgresServer;
import dev.configmanager.wire.AppliedReport;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.RequestOrigin;
import dev.configmanager.wire.Violation;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every config store does, on the embedded H2 database and on a real PostgreSQL server alike: the same tables,
 * migrations and answers behind {@link ConfigStore}. PostgreSQL is Debian's server, started for this class by
 * {@link PostgresServer}; without its binaries those cases are skipped, saying how to install them.
 */
class StoreContractTest {

    enum Database {
        H2,
        POSTGRESQL
    }

    @RegisterExtension
    static final PostgresExtension server = new PostgresExtension();

    private static final AtomicInteger databases = new AtomicInteger();
    private PostgresServer postgres;

    @TempDir
    Path dir;

    /** A new, empty store of that kind; {@code reopen} gives the same database again. */
    private record Opened(SqlConfigStore store, Reopener reopen) {}

    private interface Reopener {
        SqlConfigStore open() throws Exception;
    }

    private Opened open(final Database kind) throws Exception {
        if (kind == Database.H2) {
            final Path file = dir.resolve("cm-" + databases.incrementAndGet());
            return new Opened(H2ConfigStore.open(file, 10_000), () -> H2ConfigStore.open(file, 10_000));
        }
        postgres = server.server();
        final String url = postgres.createDatabase("contract_" + databases.incrementAndGet());
        final String password = postgres.password();
        return new Opened(
                PostgresConfigStore.open(url, PostgresServer.USER, password, 10_000),
                () -> PostgresConfigStore.open(url, PostgresServer.USER, password, 10_000));
    }

    @ParameterizedTest
    @EnumSource(Database.class)
    void whatIsCommittedIsReadBackExactly(final Database kind) throws Exception {
        try (SqlConfigStore store = open(kind).store()) {
            final ConfigVersion v1 = version("svc", 1, "{\"a\":1}", "req-1");
            final ConfigVersion v2 = version("svc", 2, "{\"a\":\"ü € 😀\"}", null);
            final ConfigVersion other = version("other", 1, "{}", "req-2");
            store.commit(List.of(v1, v2, other), List.of());
            assertEquals(Optional.of(v2), store.current("svc"));
            assertEquals(Optional.of(v1), store.version("svc", 1));
            assertEquals(Optional.empty(), store.version("svc", 3));
            assertEquals(Optional.empty(), store.current("nothing"));
            assertEquals(List.of(v2, v1), store.history("svc", 10), "newest first");
            assertEquals(List.of(v2), store.history("svc", 1));
            assertEquals(List.of(other, v2), store.allCurrent(), "by service");
        }
    }

    @ParameterizedTest
    @EnumSource(Database.class)
    void aSharedStoreKeepsTheFirstAnswerToARequestIdUntilItExpires(final Database kind) throws Exception {
        try (SqlConfigStore store = open(kind).store()) {
            final Instant now = now();
            final ConfigResult first = new ConfigResult.Accepted("svc", 1, "c".repeat(64), false);
            final ConfigResult rejected = new ConfigResult.Rejected(
                    "svc",
                    ErrorCode.SCHEMA_VIOLATION,
                    "does not match",
                    List.of(new Violation("/port", "must be an integer")),
                    1L);
            store.commit(
                    List.of(version("svc", 1, "{}", "req-1")),
                    List.of(),
                    List.of(
                            new RequestAnswer("svc", "req-1", first, now.plusSeconds(60)),
                            new RequestAnswer("svc", "req-2", rejected, now.plusSeconds(60)),
                            new RequestAnswer("svc", "old", first, now.minusSeconds(1))));
            final Map<String, ConfigResult> found = store.answered("svc", List.of("req-1", "req-2", "old", "x"), now);
            if (kind == Database.H2) {
                assertEquals(Map.of(), found, "one broker's file: its dedup window remembers the answers");
                return;
            }
            assertEquals(Map.of("req-1", first, "req-2", rejected), found, "read back as given; the expired one not");
            assertEquals(Map.of(), store.answered("other", List.of("req-1"), now), "ids are per service");

            // another broker answering the same id is refused, and nothing of its commit is kept
            final RequestAnswer again = new RequestAnswer("svc", "req-1", first, now.plusSeconds(60));
            assertThrows(
                    RequestAnsweredException.class,
                    () -> store.commit(List.of(version("svc", 2, "{}", "req-1")), List.of(), List.of(again)));
            assertEquals(1, store.current("svc").orElseThrow().version());
            // the expired answer was forgotten when it was asked for: the id can be answered anew
            store.commit(List.of(), List.of(), List.of(new RequestAnswer("svc", "old", rejected, now.plusSeconds(60))));
            assertEquals(Map.of("old", rejected), store.answered("svc", List.of("old"), now));
        }
    }

    @ParameterizedTest
    @EnumSource(Database.class)
    void aDeletionIsAVersionWithoutConfig(final Database kind) throws Exception {
        try (SqlConfigStore store = open(kind).store()) {
            store.commit(List.of(version("svc", 1, "{}", null)), List.of());
            final ConfigVersion gone = new ConfigVersion(
                    "svc", 2, ConfigVersion.Change.DELETE, null, null, now(), "test", null, RequestOrigin.HTTP);
            store.commit(List.of(gone), List.of());
            assertEquals(Optional.of(gone), store.current("svc"));
            assertEquals(2, store.history("svc", 10).size());
        }
    }

    @ParameterizedTest
    @EnumSource(Database.class)
    void auditLinesAreFilteredNewestFirst(final Database kind) throws Exception {
        try (SqlConfigStore store = open(kind).store()) {
            final AuditRecord a = audit("svc", "accepted", 1L);
            final AuditRecord b = audit("svc", "rejected", null);
            final AuditRecord c = audit("other", "rejected", null);
            store.commit(List.of(), List.of(a, b, c));
            assertEquals(List.of(c, b, a), store.audit(null, null, 10));
            assertEquals(List.of(b, a), store.audit("svc", null, 10));
            assertEquals(List.of(c, b), store.audit(null, "rejected", 10));
            assertEquals(List.of(b), store.audit("svc", "rejected", 10));
            assertEquals(List.of(c), store.audit(null, null, 1));
        }
    }

    @ParameterizedTest
    @EnumSource(Database.class)
    void aSchemaIsStoredReplacedAndAudited(final Database kind) throws Exception {
        try (SqlConfigStore store = open(kind).store()) {
            store.putSchema("svc", "{\"type\":\"object\"}", audit("svc", "accepted", null));
            store.putSchema("svc", "{\"type\":\"object\",\"required\":[\"a\"]}", audit("svc", "accepted", null));
            assertEquals(Map.of("svc", "{\"type\":\"object\",\"required\":[\"a\"]}"), store.schemas());
            assertEquals(2, store.audit("svc", null, 10).size());
        }
    }

    @ParameterizedTest
    @EnumSource(Database.class)
    void rowsTheDatabaseRefusesFailAloneAndTheStoreGoesOn(final Database kind) throws Exception {
        try (SqlConfigStore store = open(kind).store()) {
            store.commit(List.of(version("svc", 1, "{}", null)), List.of());
            assertThrows(
                    VersionTakenException.class,
                    () -> store.commit(List.of(version("svc", 1, "{\"again\":1}", null)), List.of()),
                    "a second version 1: taken first by another writer");
            assertThrows(
                    WriteRefusedException.class,
                    () -> store.commit(List.of(version("svc", 2, "{}", "r".repeat(200))), List.of()),
                    "a request id longer than its column");
            final ConfigVersion next = version("svc", 2, "{\"b\":2}", null);
            store.commit(List.of(next), List.of(audit("svc", "accepted", 2L)));
            assertEquals(Optional.of(next), store.current("svc"), "the store works on");
            assertEquals(1, store.audit("svc", null, 10).size(), "nothing of the refused commits was kept");
        }
    }

    @ParameterizedTest
    @EnumSource(Database.class)
    void reopeningKeepsTheEpochAndTheData(final Database kind) throws Exception {
        final Opened opened = open(kind);
        final String epoch;
        final ConfigVersion v1 = version("svc", 1, "{\"a\":1}", null);
        try (SqlConfigStore store = opened.store()) {
            epoch = store.epoch();
            store.commit(List.of(v1), List.of());
        }
        try (SqlConfigStore again = opened.reopen().open()) {
            assertEquals(epoch, again.epoch());
            assertEquals(Optional.of(v1), again.current("svc"));
        }
        assertTrue(epoch.matches("[0-9a-f-]{36}"), epoch);
    }

    /**
     * Two brokers commit batches that claim the same versions of several services, listed in opposite orders, at the
     * same moment: one wins, the other is told its versions were taken. Written in batch order, each would hold one
     * key the other waits for, a deadlock the server breaks only after a second, failing the loser as if the database
     * were down.
     */
    @ParameterizedTest
    @EnumSource(Database.class)
    void brokersCommittingTheSameVersionsAtOnceNeverDeadlock(final Database kind) throws Exception {
        Assumptions.assumeTrue(kind == Database.POSTGRESQL, "one H2 file is one broker's: H2 locks it");
        final Opened opened = open(kind);
        try (SqlConfigStore a = opened.store();
                SqlConfigStore b = opened.reopen().open()) {
            final List<String> services = List.of("s1", "s2", "s3", "s4", "s5", "s6");
            for (int round = 1; round <= 20; round++) {
                final int n = round;
                final List<ConfigVersion> forward = services.stream()
                        .map(s -> version(s, n, "{\"by\":\"a\"}", null))
                        .toList();
                final List<ConfigVersion> backward = List.of("s6", "s5", "s4", "s3", "s2", "s1").stream()
                        .map(s -> version(s, n, "{\"by\":\"b\"}", null))
                        .toList();
                final CyclicBarrier together = new CyclicBarrier(2);
                final CompletableFuture<String> byA =
                        CompletableFuture.supplyAsync(() -> commitAt(a, forward, together));
                final CompletableFuture<String> byB =
                        CompletableFuture.supplyAsync(() -> commitAt(b, backward, together));
                final List<String> outcomes = List.of(byA.get(30, TimeUnit.SECONDS), byB.get(30, TimeUnit.SECONDS));
                assertEquals(
                        List.of("committed", "taken"),
                        outcomes.stream().sorted().toList(),
                        "round " + n + ": one winner, one told its versions were taken, not " + outcomes);
                final String winner = outcomes.get(0).equals("committed") ? "a" : "b";
                for (final String s : services) {
                    assertEquals(
                            "{\"by\":\"" + winner + "\"}",
                            a.current(s).orElseThrow().config(),
                            "round " + n + ": every service from the winner's batch");
                }
            }
        }
    }

    private static String commitAt(
            final SqlConfigStore store, final List<ConfigVersion> versions, final CyclicBarrier together) {
        try {
            together.await(10, TimeUnit.SECONDS);
            store.commit(versions, List.of());
            return "committed";
        } catch (final VersionTakenException e) {
            return "taken";
        } catch (final Exception e) {
            return e.toString();
        }
    }

    @ParameterizedTest
    @EnumSource(Database.class)
    void storesOpenedTogetherOnANewDatabaseMigrateItOnce(final Database kind) throws Exception {
        Assumptions.assumeTrue(kind == Database.POSTGRESQL, "one H2 file is one broker's: H2 locks it");
        final Opened first = open(kind);
        first.store().close();
        final String url = postgres.createDatabase("together_" + databases.incrementAndGet());
        final var opening = java.util.stream.IntStream.range(0, 4)
                .mapToObj(i -> java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return PostgresConfigStore.open(url, PostgresServer.USER, postgres.password(), 10_000);
                    } catch (final StoreUnavailableException e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }))
                .toList();
        final List<SqlConfigStore> stores = new java.util.ArrayList<>();
        for (final var f : opening) {
            stores.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
        }
        try {
            assertEquals(
                    1, stores.stream().map(SqlConfigStore::epoch).distinct().count(), "one database, one epoch");
        } finally {
            for (final SqlConfigStore s : stores) {
                s.close();
            }
        }
    }

    /** Everything a sink is given, in order. */
    private static final class Collected implements StoreContent.Sink {
        StoreContent.Header header;
        final List<StoreContent.Schema> schemas = new ArrayList<>();
        final List<ConfigVersion> versions = new ArrayList<>();
        final List<AuditRecord> audit = new ArrayList<>();

        @Override
        public void header(final StoreContent.Header h) {
            header = h;
        }

        @Override
        public void schema(final StoreContent.Schema s) {
            schemas.add(s);
        }

        @Override
        public void version(final ConfigVersion v) {
            versions.add(v);
        }

        @Override
        public void audit(final AuditRecord a) {
            audit.add(a);
        }

        /** Gives it all again, as an import's source. */
        StoreContent.Source source() {
            return new StoreContent.Source() {
                @Override
                public StoreContent.Header header() {
                    return header;
                }

                @Override
                public void rows(final StoreContent.Sink into) throws IOException {
                    for (final StoreContent.Schema s : schemas) {
                        into.schema(s);
                    }
                    for (final ConfigVersion v : versions) {
                        into.version(v);
                    }
                    for (final AuditRecord a : audit) {
                        into.audit(a);
                    }
                }
            };
        }
    }

    @ParameterizedTest
    @EnumSource(Database.class)
    void anExportImportedIntoAnEmptyStoreGivesTheSameStoreAndEpoch(final Database kind) throws Exception {
        final Collected exported = new Collected();
        final ConfigVersion gone = new ConfigVersion(
                "svc", 3, ConfigVersion.Change.DELETE, null, null, now(), "http:root", null, RequestOrigin.HTTP);
        try (SqlConfigStore from = open(kind).store()) {
            from.commit(
                    List.of(version("svc", 1, "{\"a\":1}", "req-1"), version("other", 1, "{}", null)),
                    List.of(audit("svc", "accepted", 1L)));
            from.commit(List.of(version("svc", 2, "{\"a\":2}", null), gone), List.of(audit("svc", "rejected", null)));
            from.putSchema("other", "{\"type\":\"object\"}", audit("other", "accepted", null));
            from.exportTo(exported, true);
            assertEquals(from.epoch(), exported.header.epoch());
        }
        assertEquals(
                List.of("other", "svc", "svc", "svc"),
                exported.versions.stream().map(ConfigVersion::service).toList(),
                "by service, then version");
        assertEquals(3, exported.audit.size(), "oldest first, the schema's line last");

        try (SqlConfigStore to = open(kind).store()) {
            assertEquals(4, to.importFrom(exported.source()));
            assertEquals(exported.header.epoch(), to.epoch(), "the epoch comes along");
            final Collected again = new Collected();
            to.exportTo(again, true);
            assertEquals(exported.header, again.header);
            assertEquals(exported.schemas, again.schemas);
            assertEquals(exported.versions, again.versions, "every version, as it was");
            assertEquals(exported.audit, again.audit);
            assertEquals(Optional.of(gone), to.current("svc"), "the newest version is the current one");
            assertEquals(
                    List.of("other", "svc"),
                    to.allCurrent().stream().map(ConfigVersion::service).toList());

            // once filled, a store takes no second import, and keeps what it has
            final ImportRefusedException full =
                    assertThrows(ImportRefusedException.class, () -> to.importFrom(exported.source()));
            assertEquals(ImportRefusedException.Reason.STORE_NOT_EMPTY, full.reason());
            assertEquals(
                    4, to.history("svc", 10).size() + to.history("other", 10).size());

            // and goes on from the imported versions
            to.commit(List.of(version("svc", 4, "{\"a\":4}", null)), List.of());
            assertEquals(4, to.current("svc").orElseThrow().version());
        }
    }

    @ParameterizedTest
    @EnumSource(Database.class)
    void anImportWhoseRowTheDatabaseRefusesKeepsNothing(final Database kind) throws Exception {
        final Collected content = new Collected();
        content.header = new StoreContent.Header(UUID.randomUUID().toString(), CanonicalJson.FORM, null);
        content.schemas.add(new StoreContent.Schema("svc", "{}", now(), "root"));
        content.versions.add(version("svc", 1, "{}", null));
        content.versions.add(version("svc", 1, "{\"twice\":1}", null));
        try (SqlConfigStore store = open(kind).store()) {
            final String epoch = store.epoch();
            final ImportRefusedException refused =
                    assertThrows(ImportRefusedException.class, () -> store.importFrom(content.source()));
            assertEquals(ImportRefusedException.Reason.INVALID_IMPORT, refused.reason());
            assertEquals(List.of(), store.allCurrent(), "nothing kept");
            assertEquals(Map.of(), store.schemas());
            assertEquals(epoch, store.epoch());

            // the store works on, and takes a correct import after the refused one
            content.versions.remove(1);
            assertEquals(1, store.importFrom(content.source()));
            assertEquals(content.header.epoch(), store.epoch());
        }
    }

    @ParameterizedTest
    @EnumSource(Database.class)
    void anExportInAnotherCanonicalFormIsRefused(final Database kind) throws Exception {
        final Collected content = new Collected();
        content.header = new StoreContent.Header(UUID.randomUUID().toString(), CanonicalJson.FORM - 1, null);
        content.versions.add(version("svc", 1, "{}", null));
        try (SqlConfigStore store = open(kind).store()) {
            final ImportRefusedException refused =
                    assertThrows(ImportRefusedException.class, () -> store.importFrom(content.source()));
            assertTrue(refused.getMessage().contains("canonical form"), refused.getMessage());
            assertEquals(List.of(), store.allCurrent());
        }
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    @ParameterizedTest
    @EnumSource(Database.class)
    void aReportTakenInBeforeTheStoredOneDoesNotReplaceIt(final Database kind) throws Exception {
        try (SqlConfigStore store = open(kind).store()) {
            final Instant t = Instant.parse("2026-11-30T12:00:00Z");
            // the client's newer report, taken in by another broker, is stored first
            assertEquals(List.of(), store.recordReports(List.of(report("c1", 2, t.plusSeconds(5))), 1));
            // its older one, late from this broker's batch: dropped, and not refused for the bound of one client
            assertEquals(List.of(), store.recordReports(List.of(report("c1", 1, t)), 1));
            assertEquals(Map.of("c1", 2L), reportedVersions(store));
            // a newer one replaces it; a new client is still held to the bound
            final ClientReport newClient = report("c2", 3, t.plusSeconds(7));
            assertEquals(
                    List.of(newClient), store.recordReports(List.of(report("c1", 3, t.plusSeconds(6)), newClient), 1));
            assertEquals(Map.of("c1", 3L), reportedVersions(store));
        }
    }

    @ParameterizedTest
    @EnumSource(Database.class)
    void aReportFarAheadOrWithinTheSameMillisecondIsReplacedByTheNewOne(final Database kind) throws Exception {
        try (SqlConfigStore store = open(kind).store()) {
            final Instant t = Instant.parse("2026-11-30T12:00:00.123500Z");
            // two reports in the same millisecond, the second a little later: it wins though the column rounds
            store.recordReports(List.of(report("c1", 1, t)), 10);
            store.recordReports(List.of(report("c1", 2, t.plusNanos(300_000))), 10);
            assertEquals(Map.of("c1", 2L), reportedVersions(store));
            // a report from a broker whose clock ran a minute ahead holds the client's next reports off no longer
            // than the window: beyond it, the new one replaces it
            final Instant ahead = t.plusSeconds(60);
            store.recordReports(List.of(report("c1", 3, ahead)), 10);
            final Instant within =
                    ahead.minus(ClientReportTable.SUPERSEDED_WITHIN).plusSeconds(1);
            store.recordReports(List.of(report("c1", 4, within)), 10);
            assertEquals(Map.of("c1", 3L), reportedVersions(store));
            store.recordReports(List.of(report("c1", 5, t.plusSeconds(1))), 10);
            assertEquals(Map.of("c1", 5L), reportedVersions(store));
        }
    }

    private static ClientReport report(final String client, final long version, final Instant at) {
        return new ClientReport("svc", client, new AppliedReport(version, "sha256:v" + version, true, null), at);
    }

    private static Map<String, Long> reportedVersions(final SqlConfigStore store) throws Exception {
        final Map<String, Long> versions = new TreeMap<>();
        for (final StoredReport r : store.reports()) {
            versions.put(r.report().clientId(), r.report().report().version());
        }
        return versions;
    }

    private static ConfigVersion version(
            final String service, final long n, final String config, final String requestId) {
        return new ConfigVersion(
                service,
                n,
                ConfigVersion.Change.SET,
                config,
                "%064x".formatted(n),
                now(),
                "mqtt:test",
                requestId,
                RequestOrigin.MQTT);
    }

    private static AuditRecord audit(final String service, final String outcome, final Long version) {
        return new AuditRecord(
                now(),
                service,
                "set",
                RequestOrigin.MQTT,
                "mqtt:test",
                "req",
                outcome,
                version,
                outcome.equals("rejected") ? "invalid_json" : null,
                outcome.equals("rejected") ? "bad" : null);
    }
}
