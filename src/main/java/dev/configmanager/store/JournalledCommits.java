package dev.configmanager.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * The embedded store's durability: a commit is durable once its {@link CommitJournal} record is synced, not when H2
 * syncs, which the housekeeping does about once a second beside the commits (and then empties the journal when
 * nothing was appended meanwhile). Restoring applies the
 * journalled commits H2 had not synced when the process died. H2 holds the sequence number of the last journal
 * record it has, written in the same transaction as that record's rows, so a record is never applied twice.
 * <p>
 * Not thread-safe: the store calls it under its own lock.
 */
final class JournalledCommits implements Durability {

    private static final Logger log = LoggerFactory.getLogger(JournalledCommits.class);
    private static final String JOURNAL_SEQ_KEY = "journal_seq";
    /** A journal this large is checkpointed by the commit that made it so, not a second later. */
    private static final long CHECKPOINT_JOURNAL_BYTES = 16L * 1024 * 1024;

    private final ConfigTables tables;
    private final CommitJournal.Opener opener;
    private CommitJournal journal;
    private long journalSeq;

    private JournalledCommits(
            final ConfigTables tables, final CommitJournal journal, final CommitJournal.Opener opener) {
        this.tables = tables;
        this.journal = journal;
        this.opener = opener;
    }

    static JournalledCommits open(final Path path, final CommitJournal.Opener opener, final ConfigTables tables)
            throws IOException {
        return new JournalledCommits(tables, CommitJournal.open(path, opener), opener);
    }

    Path path() {
        return journal.path();
    }

    /**
     * Writes the rows in {@code c}'s transaction, syncs their journal record, then commits the transaction: durable
     * when it returns.
     *
     * @throws WriteRefusedException the database refused these rows; rolled back, nothing journalled
     * @throws IOException           the journal cannot be written or kept in place
     * @throws SQLException          the database failed
     */
    @Override
    public void commit(
            final Connection c,
            final List<ConfigVersion> versions,
            final List<AuditRecord> audit,
            final List<RequestAnswer> answers)
            throws SQLException, IOException, WriteRefusedException {
        // no request answers: this broker is the file's only writer, and its dedup window remembers them
        final long seq = journalSeq + 1;
        long before = -1;
        for (int attempt = 0; before < 0; attempt++) {
            if (attempt > 0 || journal.isDetached()) {
                // moved, deleted or replaced: what it holds, and this commit, would not be there after a crash
                c.rollback();
                if (attempt > 1) {
                    throw new IOException("the journal " + journal.path() + " keeps being moved or deleted");
                }
                reattach(c);
            }
            try {
                write(c, versions, audit, seq);
            } catch (final SQLException e) {
                // nothing is journalled yet: rows the database refuses fail alone, the database works
                Durability.refuseIfAboutTheRows(c, e);
                throw e;
            }
            try {
                before = journal.append(new CommitJournal.Entry(seq, versions, audit));
            } catch (final IOException e) {
                throw new IOException("cannot write the journal " + journal.path() + ": " + e.getMessage(), e);
            }
            if (journal.isDetached()) {
                before = -1; // it went while this commit was appended: again, on a journal that is in place
            }
        }
        try {
            c.commit();
        } catch (final SQLException e) {
            forgetAppend(before);
            throw e;
        }
        journalSeq = seq;
    }

    /** Whether the journal has grown so large that the commit that made it so should checkpoint at once. */
    @Override
    public boolean housekeepingDue() {
        return journal.size() >= CHECKPOINT_JOURNAL_BYTES;
    }

    /**
     * Syncs H2 if the journal holds commits, after putting a moved or deleted journal back in place.
     *
     * @throws SQLException the database failed (its commits stay in the journal)
     * @throws IOException  H2 is synced but the journal could not be emptied (the next checkpoint tries again)
     */
    @Override
    public void housekeeping(final Connection c) throws SQLException, IOException {
        if (journal.size() == 0) {
            return;
        }
        if (journal.isDetached()) {
            reattach(c);
            return;
        }
        checkpoint(c);
    }

    /**
     * H2's sync runs beside the commits that follow it: it makes durable every commit made before it began (their
     * records are all in the journal as it was then, up to record {@code journalSeq}), and the journal is emptied
     * afterwards only if it did not change meanwhile. Under steady writes that may not happen for a while: H2 is still
     * synced every second, the journal grows until {@link #housekeepingDue()} has a commit checkpoint under the lock
     * (writing what a second of commits changed, as before), and a record H2 holds already is skipped by its number
     * at a restore. The number H2 holds is read on the sync's own connection first: a database opened afresh from its
     * file there (after H2 shut the database down) lacks the latest commits, and then nothing is let go.
     */
    @Override
    public Optional<SyncBeside> beginHousekeeping(final Connection c, final boolean syncAnyway) throws SQLException {
        if (journal.size() == 0 && !syncAnyway) {
            return Optional.empty();
        }
        if (journal.isDetached()) {
            reattach(c); // syncs the database under the lock: rare
            return Optional.empty();
        }
        final CommitJournal marked = journal;
        final long changes = marked.changes();
        final long seq = journalSeq;
        return Optional.of(new SyncBeside() {
            private long held = -1;

            @Override
            public void sync(final Connection other) throws SQLException {
                try {
                    held = tables.meta(other, JOURNAL_SEQ_KEY)
                            .map(Long::parseLong)
                            .orElse(-1L);
                } finally {
                    other.rollback(); // a read: nothing to keep, and no transaction left open
                }
                syncDatabase(other);
            }

            @Override
            public boolean finish() throws IOException {
                if (held < seq) {
                    return false;
                }
                if (journal == marked && marked.changes() == changes && marked.size() > 0) {
                    marked.truncate(0);
                }
                return true;
            }
        });
    }

    /** H2 writes its own commits to disk in its own time: a row without a journal record waits for a sync. */
    @Override
    public boolean syncsCommitsLater() {
        return true;
    }

    /** A schema is rare and has no journal record: H2 is synced at once (and the journal emptied with it). */
    @Override
    public void syncCommitted(final Connection c) throws SQLException, IOException {
        checkpoint(c);
    }

    /** Syncs H2, which then holds every journalled commit, and empties the journal. */
    void checkpoint(final Connection c) throws SQLException, IOException {
        syncDatabase(c);
        journal.truncate(0);
    }

    /**
     * Applies the journalled commits H2 does not hold (it lost what it had not synced when the process died), then
     * checkpoints. A database that never had a journal (new, or written by an older version) gets its journal
     * counter first; a leftover journal beside it belongs to some other database and is set aside.
     */
    @Override
    public void restore(final Connection c) throws SQLException, IOException {
        if (journal.inDoubt()) {
            throw new IOException("a failed write may have left a commit in the journal " + journal.path()
                    + " that was answered as not stored; check the disk, then restart the broker");
        }
        final List<CommitJournal.Entry> entries = journal.readAll();
        final Optional<Long> stored = tables.meta(c, JOURNAL_SEQ_KEY).map(Long::parseLong);
        long seq = stored.orElse(0L);
        int restored = 0;
        if (stored.isEmpty()) {
            if (!entries.isEmpty()) {
                final Path aside = Path.of(journal.path() + ".orphaned-" + System.currentTimeMillis());
                Files.copy(journal.path(), aside);
                log.warn(
                        "config-manager: the journal {} does not belong to this database; moved its {} commit(s) "
                                + "to {}",
                        journal.path(),
                        entries.size(),
                        aside);
            }
            tables.setMeta(c, JOURNAL_SEQ_KEY, "0");
            c.commit();
        } else {
            for (final CommitJournal.Entry e : entries) {
                if (e.seq() > seq) {
                    write(c, e.versions(), e.audit(), e.seq());
                    c.commit();
                    seq = e.seq();
                    restored++;
                }
            }
        }
        checkpoint(c);
        journalSeq = seq;
        if (restored > 0) {
            log.info(
                    "config-manager: restored {} commit(s) from the journal {} that the database had not synced",
                    restored,
                    journal.path());
        }
    }

    private void write(
            final Connection c, final List<ConfigVersion> versions, final List<AuditRecord> audit, final long seq)
            throws SQLException {
        tables.write(c, versions, audit);
        tables.setMeta(c, JOURNAL_SEQ_KEY, Long.toString(seq));
    }

    /** A commit H2 refused must not come back from the journal at the next start. */
    private void forgetAppend(final long before) {
        try {
            journal.truncate(before);
        } catch (final IOException e) {
            log.error(
                    "config-manager: a commit failed and could not be taken out of the journal {}; it may be "
                            + "applied at the next start: {}",
                    journal.path(),
                    e.toString());
        }
    }

    /**
     * Starts a new journal at the journal's path after the old one was moved, deleted or replaced. H2 is synced
     * first, so it holds every commit the old journal held; a file someone put in its place is set aside.
     */
    private void reattach(final Connection c) throws SQLException {
        final Path path = journal.path();
        log.warn(
                "config-manager: the journal {} was moved, deleted or replaced while the broker ran; syncing the "
                        + "database and starting a new journal there",
                path);
        syncDatabase(c);
        try {
            if (Files.exists(path)) {
                final Path aside = Path.of(path + ".replaced-" + System.currentTimeMillis());
                Files.move(path, aside);
                log.warn("config-manager: the file found at {} is kept as {}", path, aside);
            }
            final CommitJournal fresh = CommitJournal.open(path, opener);
            final CommitJournal old = journal;
            journal = fresh;
            old.close();
        } catch (final IOException e) {
            // without a journal in place no commit is durable: handled like a failed database
            throw new SQLException("cannot start a new journal at " + path + ": " + e.getMessage(), e);
        }
    }

    private static void syncDatabase(final Connection c) throws SQLException {
        try (var s = c.createStatement()) {
            s.execute("CHECKPOINT SYNC");
        }
    }

    @Override
    public void close() throws IOException {
        journal.close();
    }
}
