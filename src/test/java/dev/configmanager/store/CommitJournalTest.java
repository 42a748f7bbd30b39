package dev.configmanager.store;

import dev.configmanager.wire.RequestOrigin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What the journal writes is what it reads back, and nothing after the first damaged record. */
@Tag("unit")
class CommitJournalTest {

    @TempDir
    Path dir;

    private final CommitJournal.Entry first = new CommitJournal.Entry(
            7,
            List.of(
                    new ConfigVersion(
                            "svc",
                            3,
                            ConfigVersion.Change.DELETE,
                            null,
                            null,
                            Instant.parse("2026-11-27T06:00:00.123456789Z"),
                            "http:änne",
                            null,
                            RequestOrigin.HTTP),
                    new ConfigVersion(
                            "other",
                            1,
                            ConfigVersion.Change.SET,
                            "{\"name\":\"ünïcödé ✓\"}",
                            "a".repeat(64),
                            Instant.EPOCH,
                            "mqtt:c-1",
                            "r-1",
                            RequestOrigin.MQTT)),
            List.of(
                    new AuditRecord(
                            Instant.parse("2026-11-27T06:00:01Z"),
                            "svc",
                            "delete",
                            RequestOrigin.HTTP,
                            "http:änne",
                            null,
                            "accepted",
                            3L,
                            null,
                            null),
                    new AuditRecord(
                            Instant.parse("2026-11-27T06:00:02Z"),
                            "svc",
                            "set",
                            RequestOrigin.MQTT,
                            "mqtt:c-2",
                            "r-2",
                            "rejected",
                            null,
                            "schema_violation",
                            "$.port: must be ≤ 65535")));
    private final CommitJournal.Entry second = new CommitJournal.Entry(
            8,
            List.of(),
            List.of(new AuditRecord(
                    Instant.parse("2026-11-27T06:00:03Z"),
                    "svc",
                    "patch",
                    RequestOrigin.MQTT,
                    "mqtt:c-3",
                    "r-3",
                    "rejected",
                    null,
                    "not_found",
                    "no config")));

    @Test
    void recordsReadBackExactlyAsWrittenNullsAndUnicodeIncluded() throws Exception {
        final Path path = dir.resolve("j");
        try (CommitJournal journal = CommitJournal.open(path)) {
            journal.append(first);
            journal.append(second);
        }
        try (CommitJournal journal = CommitJournal.open(path)) {
            assertEquals(List.of(first, second), journal.readAll());
        }
    }

    @Test
    void readingStopsAtADamagedRecordAndCutsItOff() throws Exception {
        final Path path = dir.resolve("j");
        final long secondStarts;
        try (CommitJournal journal = CommitJournal.open(path)) {
            journal.append(first);
            secondStarts = journal.append(second);
        }
        final byte[] bytes = Files.readAllBytes(path);
        bytes[bytes.length - 3] ^= 0x40; // one flipped bit in the second record's body
        Files.write(path, bytes);

        try (CommitJournal journal = CommitJournal.open(path)) {
            assertEquals(List.of(first), journal.readAll());
            assertEquals(secondStarts, journal.size());
        }
        assertEquals(secondStarts, Files.size(path));
    }
}
