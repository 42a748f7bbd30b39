package dev.configmanager.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static dev.configmanager.store.TestVersions.version;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The journal never holds what was not acknowledged, and never loses what was: a record whose sync failed is taken out
 * again (a request answered "not stored" does not become a version when the journal is next read), and a journal
 * moved or deleted while the store runs is replaced, with H2 synced first, before the next commit is acknowledged.
 * Real H2 files and a real journal file; only the journal's channel is made to fail, on demand.
 */
class JournalFailureTest {

    private static final long NO_CHECKPOINT = 3_600_000;
    /** The store tries to reopen a failed connection after a second. */
    private static final long REOPEN_WAIT_MS = 1_100;

    @TempDir
    Path dir;

    @Test
    void aCommitWhoseJournalSyncFailedIsNeverApplied() throws Exception {
        final Faults faults = new Faults();
        final Path file = dir.resolve("db/config-manager");
        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000, NO_CHECKPOINT, faults::open)) {
            store.commit(List.of(version(1)), List.of());
            faults.forceFailures = 1; // the record is written, its sync fails
            assertThrows(StoreUnavailableException.class, () -> store.commit(List.of(version(2)), List.of()));
            Thread.sleep(REOPEN_WAIT_MS);
            // reopening the connection reads the journal back: the failed commit must not be in it
            assertEquals(1, store.current("svc").orElseThrow().version());
            store.commit(List.of(version(2)), List.of());
        }
        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000)) {
            assertEquals(
                    List.of(2L, 1L),
                    store.history("svc", 10).stream()
                            .map(ConfigVersion::version)
                            .toList());
            assertEquals("{\"n\":2}", store.current("svc").orElseThrow().config(), "the stored 2, not the failed 2");
        }
    }

    @Test
    void whenEvenCuttingTheRecordFailsItIsMadeUnreadable() throws Exception {
        final Faults faults = new Faults();
        final Path file = dir.resolve("db/config-manager");
        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000, NO_CHECKPOINT, faults::open)) {
            store.commit(List.of(version(1)), List.of());
            faults.forceFailures = 1;
            faults.failTruncate = true;
            assertThrows(StoreUnavailableException.class, () -> store.commit(List.of(version(2)), List.of()));
            faults.failTruncate = false;
            Thread.sleep(REOPEN_WAIT_MS);
            assertEquals(1, store.current("svc").orElseThrow().version());
        }
    }

    @Test
    void aJournalThatCannotBeCleanedKeepsTheStoreUnavailableInsteadOfApplyingItLater() throws Exception {
        final Faults faults = new Faults();
        final Path file = dir.resolve("db/config-manager");
        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000, NO_CHECKPOINT, faults::open)) {
            store.commit(List.of(version(1)), List.of());
            faults.forceFailures = 3; // the sync, and both ways of taking the record out again
            faults.failTruncate = true;
            assertThrows(StoreUnavailableException.class, () -> store.commit(List.of(version(2)), List.of()));
            faults.failTruncate = false;
            Thread.sleep(REOPEN_WAIT_MS);
            assertThrows(StoreUnavailableException.class, () -> store.current("svc"));
        }
    }

    @Test
    void aDeletedJournalIsReplacedBeforeTheNextCommitIsAcknowledged() throws Exception {
        final Path file = dir.resolve("db/config-manager");
        final Path journal = H2ConfigStore.journalPath(file);
        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000, NO_CHECKPOINT)) {
            store.commit(List.of(version(1)), List.of());
            Files.delete(journal);
            store.commit(List.of(version(2)), List.of());
            assertTrue(Files.exists(journal), "a new journal in its place");
            // the new journal holds the commit acknowledged after the deletion
            try (CommitJournal reread = CommitJournal.open(journal)) {
                assertEquals(
                        List.of(2L),
                        reread.readAll().stream()
                                .flatMap(e -> e.versions().stream())
                                .map(ConfigVersion::version)
                                .toList());
            }
            final Path foreign = Files.writeString(dir.resolve("foreign"), "not a journal");
            Files.move(foreign, journal, java.nio.file.StandardCopyOption.REPLACE_EXISTING); // replaced
            store.commit(List.of(version(3)), List.of());
            assertTrue(
                    Files.list(journal.getParent())
                            .anyMatch(p -> p.getFileName().toString().startsWith(journal.getFileName() + ".replaced-")),
                    "the foreign file is kept aside");
            Files.writeString(journal, "overwritten in place"); // same file, its records gone
            store.commit(List.of(version(4)), List.of());
        }
        try (SqlConfigStore store = H2ConfigStore.open(file, 10_000)) {
            assertEquals(
                    List.of(4L, 3L, 2L, 1L),
                    store.history("svc", 10).stream()
                            .map(ConfigVersion::version)
                            .toList());
        }
    }

    /** Which operations of the journal's channel fail right now. */
    static final class Faults {
        /** How many of the next syncs fail. */
        volatile int forceFailures;

        volatile boolean failTruncate;

        FileChannel open(final Path path) throws IOException {
            return new FaultyChannel(
                    FileChannel.open(
                            path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
                    this);
        }
    }

    /** A real file channel whose force and truncate fail while {@link Faults} says so (the disk refusing). */
    private static final class FaultyChannel extends FileChannel {
        private final FileChannel real;
        private final Faults faults;

        FaultyChannel(final FileChannel real, final Faults faults) {
            this.real = real;
            this.faults = faults;
        }

        @Override
        public void force(final boolean metaData) throws IOException {
            if (faults.forceFailures > 0) {
                faults.forceFailures--;
                throw new IOException("injected: fsync failed");
            }
            real.force(metaData);
        }

        @Override
        public FileChannel truncate(final long size) throws IOException {
            if (faults.failTruncate) {
                throw new IOException("injected: truncate failed");
            }
            real.truncate(size);
            return this;
        }

        @Override
        public int read(final ByteBuffer dst) throws IOException {
            return real.read(dst);
        }

        @Override
        public long read(final ByteBuffer[] dsts, final int offset, final int length) throws IOException {
            return real.read(dsts, offset, length);
        }

        @Override
        public int write(final ByteBuffer src) throws IOException {
            return real.write(src);
        }

        @Override
        public long write(final ByteBuffer[] srcs, final int offset, final int length) throws IOException {
            return real.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return real.position();
        }

        @Override
        public FileChannel position(final long newPosition) throws IOException {
            real.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return real.size();
        }

        @Override
        public long transferTo(final long position, final long count, final WritableByteChannel target)
                throws IOException {
            return real.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(final ReadableByteChannel src, final long position, final long count)
                throws IOException {
            return real.transferFrom(src, position, count);
        }

        @Override
        public int read(final ByteBuffer dst, final long position) throws IOException {
            return real.read(dst, position);
        }

        @Override
        public int write(final ByteBuffer src, final long position) throws IOException {
            return real.write(src, position);
        }

        @Override
        public MappedByteBuffer map(final MapMode mode, final long position, final long size) throws IOException {
            return real.map(mode, position, size);
        }

        @Override
        public FileLock lock(final long position, final long size, final boolean shared) throws IOException {
            return real.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(final long position, final long size, final boolean shared) throws IOException {
            return real.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            real.close();
        }
    }
}
