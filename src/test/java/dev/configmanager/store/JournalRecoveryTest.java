package dev.configmanager.store;

import dev.configmanager.wire.RequestOrigin;
import org.h2.Driver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Commits are synced in the journal and only now and then in H2, so a crash may take commits out of H2 that were
 * already acknowledged. These tests make H2 lose them for real (its file put back as it was before they were
 * committed, the way a process killed before H2's sync leaves it) and check that opening the store brings them back.
 */
class JournalRecoveryTest {

    /** Long enough that no test commit reaches H2's own sync before the test takes its copies. */
    private static final long NO_CHECKPOINT = 3_600_000;

    @TempDir
    Path dir;

    @Test
    void commitsTheDatabaseLostAreRestoredFromTheJournal() throws Exception {
        final Path file = dir.resolve("db/config-manager");
        crashAfterTwoCommits(file, false);

        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000)) {
            final ConfigVersion current = store.current("svc").orElseThrow();
            assertEquals(2, current.version());
            assertEquals("{\"a\":2}", current.config());
            assertEquals(
                    List.of(2L, 1L),
                    store.history("svc", 10).stream()
                            .map(ConfigVersion::version)
                            .toList());
            assertEquals(
                    List.of("r-2", "r-1"),
                    store.audit("svc", null, 10).stream()
                            .map(AuditRecord::requestId)
                            .toList());
            assertEquals(0, Files.size(H2ConfigStore.journalPath(file)), "H2 holds it all again: journal emptied");
        }
    }

    @Test
    void aRecordTheCrashCutShortIsIgnoredAndWritingGoesOn() throws Exception {
        final Path file = dir.resolve("db/config-manager");
        crashAfterTwoCommits(file, true);

        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000)) {
            assertEquals(2, store.current("svc").orElseThrow().version());
            store.commit(List.of(version(3)), List.of(audit(3)));
        }
        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000)) {
            assertEquals(
                    List.of(3L, 2L, 1L),
                    store.history("svc", 10).stream()
                            .map(ConfigVersion::version)
                            .toList());
        }
    }

    @Test
    void commitsTheDatabaseAlreadyHoldsAreNotAppliedAgain() throws Exception {
        final Path file = dir.resolve("db/config-manager");
        final Path journalCopy = dir.resolve("journal-copy");
        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000, NO_CHECKPOINT)) {
            store.commit(List.of(version(1)), List.of(audit(1)));
            store.commit(List.of(version(2)), List.of(audit(2)));
            Files.copy(H2ConfigStore.journalPath(file), journalCopy);
        } // closing syncs H2: it now holds both commits
        assertTrue(Files.size(journalCopy) > 0);
        Files.copy(journalCopy, H2ConfigStore.journalPath(file), StandardCopyOption.REPLACE_EXISTING);

        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000)) {
            assertEquals(2, store.history("svc", 10).size());
            assertEquals(2, store.audit("svc", null, 10).size(), "no audit line written twice");
        }
    }

    @Test
    void commitsReachTheDatabaseFileOnTheirOwnOnceWritingStops() throws Exception {
        final Path file = dir.resolve("db/config-manager");
        final Path copy = dir.resolve("copy/config-manager");
        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000, 100)) {
            store.commit(List.of(version(1)), List.of(audit(1)));
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (Files.size(H2ConfigStore.journalPath(file)) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, Files.size(H2ConfigStore.journalPath(file)), "checkpointed without another commit");
            Files.createDirectories(copy.getParent());
            Files.copy(Path.of(file + ".mv.db"), Path.of(copy + ".mv.db")); // the database file alone
        }
        try (SqlConfigStore store = H2ConfigStore.open(copy, 10_000)) {
            assertEquals(1, store.current("svc").orElseThrow().version());
        }
    }

    /**
     * The once-a-second sync runs beside the writer's commits, on a connection of its own: a commit made after it
     * began may not be in it, so its journal record must stay. The crash here comes right after such a sync, with H2's
     * file as the sync left it (version 1) and version 2 committed after it: version 2 comes back from the journal.
     */
    @Test
    void aSyncBesideTheWriterKeepsTheRecordsOfCommitsMadeMeanwhile() throws Exception {
        final Path file = dir.resolve("db/config-manager");
        final Path journal = H2ConfigStore.journalPath(file);
        createDatabase(file);
        final Path crashed = dir.resolve("crashed/config-manager");
        try (Connection writer = connect(file);
                Connection other = connect(file);
                JournalledCommits commits = journalledCommits(journal)) {
            commits.restore(writer);
            commits.commit(writer, List.of(version(1)), List.of(audit(1)), List.of());

            final Durability.SyncBeside sync =
                    commits.beginHousekeeping(writer, false).orElseThrow();
            sync.sync(other);
            Files.createDirectories(crashed.getParent());
            Files.copy(Path.of(file + ".mv.db"), Path.of(crashed + ".mv.db")); // H2's file as that sync left it
            commits.commit(writer, List.of(version(2)), List.of(audit(2)), List.of()); // before the sync finishes
            assertTrue(sync.finish());
            assertTrue(Files.size(journal) > 0, "the record of the commit made meanwhile is kept");
            Files.copy(journal, H2ConfigStore.journalPath(crashed));

            final Durability.SyncBeside quiet =
                    commits.beginHousekeeping(writer, false).orElseThrow();
            quiet.sync(other);
            assertTrue(quiet.finish());
            assertEquals(0, Files.size(journal), "nothing was committed meanwhile: the journal is emptied");
            assertTrue(commits.beginHousekeeping(writer, false).isEmpty(), "an empty journal needs no sync");
        }
        try (SqlConfigStore store = H2ConfigStore.open(crashed, 10_000)) {
            assertEquals(
                    List.of(2L, 1L),
                    store.history("svc", 10).stream()
                            .map(ConfigVersion::version)
                            .toList());
            assertEquals(2, store.audit("svc", null, 10).size(), "no audit line applied twice");
        }
    }

    /**
     * When H2 shuts a database down (it does on running out of memory), the sync's next connection opens it afresh
     * from its file, without the commits only the journal holds. That sync must let nothing go.
     */
    @Test
    void aSyncThatReachesADatabaseWithoutTheLatestCommitsLetsNothingGo() throws Exception {
        final Path file = dir.resolve("db/config-manager");
        final Path journal = H2ConfigStore.journalPath(file);
        createDatabase(file);
        final Path older = dir.resolve("older/config-manager");
        Files.createDirectories(older.getParent());
        Files.copy(Path.of(file + ".mv.db"), Path.of(older + ".mv.db")); // the file before the commits
        try (Connection writer = connect(file);
                Connection afresh = connect(older);
                JournalledCommits commits = journalledCommits(journal)) {
            commits.restore(writer);
            commits.commit(writer, List.of(version(1)), List.of(audit(1)), List.of());
            final long journalled = Files.size(journal);

            final Durability.SyncBeside sync =
                    commits.beginHousekeeping(writer, false).orElseThrow();
            sync.sync(afresh);
            assertFalse(sync.finish(), "the store's connection is to be opened again");
            assertEquals(journalled, Files.size(journal), "the journal keeps the commit");
        }
    }

    private static void createDatabase(final Path file) throws Exception {
        try (SqlConfigStore created = H2ConfigStore.open(file, 10_000, NO_CHECKPOINT)) {
            assertTrue(created.current("svc").isEmpty()); // migrated, with its journal, then closed
        }
    }

    private static Connection connect(final Path file) throws Exception {
        final Connection c = new Driver().connect(H2ConfigStore.url(file), new Properties());
        c.setAutoCommit(false);
        return c;
    }

    private static JournalledCommits journalledCommits(final Path journal) throws Exception {
        return JournalledCommits.open(journal, CommitJournal.Opener.REAL, new ConfigTables(SqlDialect.H2, 10_000));
    }

    @Test
    void aJournalLeftBesideANewDatabaseIsSetAsideNotApplied() throws Exception {
        final Path file = dir.resolve("db/config-manager");
        crashAfterTwoCommits(file, false);
        try (Stream<Path> files = Files.list(file.getParent())) {
            for (final Path p : files.filter(p -> p.getFileName().toString().endsWith(".mv.db"))
                    .toList()) {
                Files.delete(p); // an operator removed the database but not its journal
            }
        }

        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000)) {
            assertTrue(store.current("svc").isEmpty());
        }
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().contains(".journal.orphaned-")));
        }
    }

    /**
     * Two acknowledged commits that H2 has not synced, then the crash: H2's file is put back to what it was before
     * them and the journal is left as the commits wrote it ({@code torn}: plus the start of a third record).
     */
    private void crashAfterTwoCommits(final Path file, final boolean torn) throws Exception {
        final Path dbFile = Path.of(file + ".mv.db");
        final Path dbBefore = dir.resolve("db-before");
        final Path journalAfter = dir.resolve("journal-after");
        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000, NO_CHECKPOINT)) {
            Files.copy(dbFile, dbBefore); // opening synced H2: this is what a crash from here on leaves of it
            store.commit(List.of(version(1)), List.of(audit(1)));
            store.commit(List.of(version(2)), List.of(audit(2)));
            Files.copy(H2ConfigStore.journalPath(file), journalAfter);
        }
        Files.copy(dbBefore, dbFile, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(journalAfter, H2ConfigStore.journalPath(file), StandardCopyOption.REPLACE_EXISTING);
        if (torn) {
            final byte[] third = JournalRecord.encode(new CommitJournal.Entry(3, List.of(version(3)), List.of()));
            final byte[] cut = new byte[8 + third.length / 2];
            java.nio.ByteBuffer.wrap(cut).putInt(third.length).putInt(0x5eed);
            Files.write(H2ConfigStore.journalPath(file), cut, StandardOpenOption.APPEND);
        }
    }

    private static ConfigVersion version(final long v) {
        return new ConfigVersion(
                "svc",
                v,
                ConfigVersion.Change.SET,
                "{\"a\":" + v + "}",
                "c".repeat(64),
                Instant.parse("2026-11-27T06:00:00.123456Z"),
                "tester",
                "r-" + v,
                RequestOrigin.MQTT);
    }

    private static AuditRecord audit(final long v) {
        return new AuditRecord(
                Instant.parse("2026-11-27T06:00:00Z"),
                "svc",
                "set",
                RequestOrigin.MQTT,
                "tester",
                "r-" + v,
                "accepted",
                v,
                null,
                null);
    }
}
