package dev.configmanager.pipeline;

import dev.configmanager.concurrent.Threads;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The single thread that decides and commits. It takes whatever requests are waiting and hands them to
 * {@link BatchCommit} as one batch, committed with one disk sync (group commit). One writer means decisions never
 * race: two requests with the same {@code expected_version} cannot both win.
 */
final class GroupCommitWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);
    static final int QUEUE_CAPACITY = 10_000;
    private static final int MAX_BATCH = 256;
    /** The longest a request waits for others to share its commit (only when the last commit was shared). */
    private static final long GATHER_NANOS = TimeUnit.MICROSECONDS.toNanos(1_000);

    private final BatchCommit batches;
    private final StoreStatusReport storeStatus;
    private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread thread;
    private volatile boolean running = true;
    /** Guards the hand-over between {@link #offer} and the writer's last drain. */
    private final Object intake = new Object();

    private boolean writerDone; // guarded by intake

    /** @param storeStatus the same report {@code batches} tells whether writing works */
    GroupCommitWriter(final BatchCommit batches, final StoreStatusReport storeStatus) {
        this.batches = batches;
        this.storeStatus = storeStatus;
        this.thread = Threads.start("config-manager-writer", this::writeLoop);
    }

    /** Whether the last commit worked. */
    boolean storeWorking() {
        return storeStatus.working();
    }

    /**
     * Hands a request to the writer. Under {@link #intake}, so a request is either queued before the writer's last
     * drain (and answered by it) or sees that the writer is done (and is answered here): none is left unanswered.
     */
    void offer(final Pending pending) {
        synchronized (intake) {
            if (!running || writerDone) {
                pending.refuse(Rejected.of(
                        pending.service(),
                        ErrorCode.STORE_UNAVAILABLE,
                        running
                                ? "the config writer stopped after an error; see the broker log"
                                : "config-manager is stopping"));
            } else if (!queue.offer(pending)) {
                pending.refuse(overloaded(pending.service()));
            }
        }
    }

    static Rejected overloaded(final String service) {
        return Rejected.of(service, ErrorCode.STORE_UNAVAILABLE, "config-manager is overloaded; retry later");
    }

    private void writeLoop() {
        try {
            writeBatches();
        } catch (final Throwable t) {
            log.error("config-manager: the writer stopped; config writes are refused until the broker restarts", t);
            storeStatus.report(
                    "the config writer stopped after an error; writes are refused until the broker restarts");
        } finally {
            synchronized (intake) {
                writerDone = true;
            }
            Pending left;
            while ((left = queue.poll()) != null) {
                left.refuse(Rejected.of(left.service(), ErrorCode.STORE_UNAVAILABLE, "config-manager is stopping"));
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
                batches.process(batch);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (final RuntimeException | StackOverflowError | OutOfMemoryError e) {
                // one batch's defect (or exhaustion) is answered and shown in the extension's health; the writer
                // goes on with the next batch rather than leave every later request unanswered
                log.error("config-manager: the writer failed on a batch of {} request(s)", batch.size(), e);
                batch.forEach(p -> p.refuse(
                        Rejected.of(p.service(), ErrorCode.INTERNAL, "internal error while applying the request")));
                storeStatus.report("the config writer failed on a request; see the broker log");
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

    /** From now on, requests offered are answered "stopping"; those already queued are still applied. */
    void stopTaking() {
        running = false;
    }

    /** Stops taking requests and returns once those already queued are answered (or after ten seconds). */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
