package dev.configmanager.store;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The write-ahead journal in front of H2. Making one H2 commit durable means {@code CHECKPOINT SYNC}: H2 writes a new
 * chunk of every page the commit touched, at the end of a file that keeps growing, and syncs it (about 0.8 ms here,
 * against 0.2 ms for syncing a small append). So a commit is appended here and synced, then committed to H2 without
 * a sync; H2 is synced now and then, after which the journal is emptied. After a crash the commits H2 lost are read
 * back from here.
 * <p>
 * A record is {@code [length][CRC32C][body]}; reading stops at the first record that is short or fails its check
 * (a write the crash cut off, never acknowledged). Not thread-safe: its store calls it under its own lock.
 */
final class CommitJournal implements AutoCloseable {

    /** One commit: its sequence number and what it wrote. */
    record Entry(long seq, List<ConfigVersion> versions, List<AuditRecord> audit) {}

    private static final int HEADER_BYTES = 8;
    /** Larger than any commit the pipeline makes (a batch of 256 KiB configs); anything larger is damage. */
    private static final int MAX_RECORD_BYTES = 512 * 1024 * 1024;

    /** Opens the journal's file; tests put a channel that fails on demand in front of the real one. */
    interface Opener {
        FileChannel open(Path path) throws IOException;

        Opener REAL = path ->
                FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private final Path path;
    private final FileChannel channel;
    /** The file this journal was opened on (device and inode on Linux), to notice it being moved or deleted. */
    private final Object fileKey;

    private long end;
    private long changes;
    private boolean inDoubt;

    private CommitJournal(final Path path, final FileChannel channel, final Object fileKey, final long end) {
        this.path = path;
        this.channel = channel;
        this.fileKey = fileKey;
        this.end = end;
    }

    static CommitJournal open(final Path path) throws IOException {
        return open(path, Opener.REAL);
    }

    static CommitJournal open(final Path path, final Opener opener) throws IOException {
        final FileChannel channel = opener.open(path);
        return new CommitJournal(path, channel, fileKey(path), channel.size());
    }

    private static Object fileKey(final Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    }

    /**
     * Whether the file at the journal's path is no longer the one it writes to (moved, deleted or replaced while the
     * broker runs), or no longer holds what it wrote (cut or overwritten in place). What it appends then would not be
     * there, or not readable, for the next start.
     */
    boolean isDetached() {
        try {
            return fileKey != null && !fileKey.equals(fileKey(path)) || channel.size() != end;
        } catch (final IOException e) {
            return true; // gone, or not readable: either way not a journal the next start can use
        }
    }

    /**
     * Whether a failed append may have left its record behind (its removal failed too): the next start could then
     * apply a commit that was answered as not stored.
     */
    boolean inDoubt() {
        return inDoubt;
    }

    Path path() {
        return path;
    }

    /** Bytes in the journal: what a checkpoint would free. */
    long size() {
        return end;
    }

    /**
     * Goes up with every change of the journal's contents (an append, an undo, a cut): the same number means the same
     * records, where the same size may not (a cut, then an append of a record as long as those cut).
     */
    long changes() {
        return changes;
    }

    /**
     * Appends one commit and syncs it. Returns where the journal ended before, for {@link #truncate} when the
     * commit then fails in H2.
     */
    long append(final Entry entry) throws IOException {
        final byte[] body = JournalRecord.encode(entry);
        final CRC32C crc = new CRC32C();
        crc.update(body);
        final ByteBuffer record = ByteBuffer.allocate(HEADER_BYTES + body.length);
        record.putInt(body.length).putInt((int) crc.getValue()).put(body).flip();
        final long before = end;
        long at = before;
        changes++;
        try {
            while (record.hasRemaining()) {
                at += channel.write(record, at);
            }
            // fdatasync: it writes the file's new length too (reading the record back needs it), not its times.
            channel.force(false);
        } catch (final IOException e) {
            undo(before, e);
            throw e;
        }
        end = at;
        return before;
    }

    /**
     * Takes a failed append's record out again: a commit answered "not stored" must not be applied when the journal
     * is next read. If even that fails, the record's length is zeroed (reading stops there); if that fails too, the
     * journal is {@link #inDoubt}.
     */
    private void undo(final long before, final IOException failure) {
        try {
            channel.truncate(before);
            channel.force(true);
            return;
        } catch (final IOException e) {
            failure.addSuppressed(e);
        }
        try {
            channel.write(ByteBuffer.allocate(HEADER_BYTES), before);
            channel.force(false);
        } catch (final IOException e) {
            failure.addSuppressed(e);
            inDoubt = true;
        }
    }

    /** Cuts the journal back to {@code position} (0 after a checkpoint: H2 holds everything) and syncs that. */
    void truncate(final long position) throws IOException {
        changes++;
        channel.truncate(position);
        channel.force(true);
        end = position;
    }

    /** Every whole record from the start; a torn or damaged tail ends the reading and is cut off. */
    List<Entry> readAll() throws IOException {
        final List<Entry> entries = new ArrayList<>();
        final long size = channel.size();
        final ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        long at = 0;
        while (at + HEADER_BYTES <= size) {
            header.clear();
            readFully(header, at);
            final int length = header.getInt(0);
            if (length <= 0 || length > MAX_RECORD_BYTES || at + HEADER_BYTES + length > size) {
                break;
            }
            final ByteBuffer body = ByteBuffer.allocate(length);
            readFully(body, at + HEADER_BYTES);
            final CRC32C crc = new CRC32C();
            crc.update(body.array());
            if ((int) crc.getValue() != header.getInt(4)) {
                break;
            }
            entries.add(JournalRecord.decode(body.array()));
            at += HEADER_BYTES + length;
        }
        if (at < size) {
            truncate(at);
        }
        end = at;
        return entries;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private void readFully(final ByteBuffer into, final long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            final int n = channel.read(into, at);
            if (n < 0) {
                throw new EOFException("journal " + path + " ended early");
            }
            at += n;
        }
    }
}
