package dev.configmanager.mqtt;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Keeps a retained topic on its newest state. Publishes for one key run one after another (the broker may store two
 * in-flight publishes to one topic in either order), and a publish whose ordinal (a config version, a connection
 * epoch) is older than one already published for that key is skipped, so a late or reordered event never wins.
 */
public final class RetainedSequencer {

    private final ConcurrentHashMap<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> newest = new ConcurrentHashMap<>();

    /** Runs {@code publish} after earlier steps for {@code key}, unless a newer ordinal was published already. */
    public CompletableFuture<Void> submit(
            final String key, final long ordinal, final Supplier<CompletableFuture<Void>> publish) {
        return chained(key, () -> {
            if (newest.getOrDefault(key, Long.MIN_VALUE) > ordinal) {
                return CompletableFuture.completedFuture(null);
            }
            newest.put(key, ordinal);
            return publish.get();
        });
    }

    /** Like {@link #submit}, but skips an ordinal already published too (a change seen a second way). */
    public CompletableFuture<Void> submitIfNewer(
            final String key, final long ordinal, final Supplier<CompletableFuture<Void>> publish) {
        return chained(key, () -> {
            if (newest.getOrDefault(key, Long.MIN_VALUE) >= ordinal) {
                return CompletableFuture.completedFuture(null);
            }
            newest.put(key, ordinal);
            return publish.get();
        });
    }

    /** Runs {@code publish} only if nothing was published for {@code key} since start (used by start-up repairs). */
    public CompletableFuture<Void> submitIfUntouched(
            final String key, final Supplier<CompletableFuture<Void>> publish) {
        return chained(key, () -> newest.containsKey(key) ? CompletableFuture.completedFuture(null) : publish.get());
    }

    /** Runs {@code step} after the steps already submitted for {@code key}, whatever their ordinals. */
    public CompletableFuture<Void> then(final String key, final Supplier<CompletableFuture<Void>> step) {
        return chained(key, step);
    }

    /**
     * Forgets {@code key} once its newest ordinal is {@code ordinal}, so keys of clients that never return do not
     * accumulate. Runs in sequence after the steps already submitted.
     */
    public void forget(final String key, final long ordinal) {
        chained(key, () -> {
            newest.remove(key, ordinal);
            return CompletableFuture.completedFuture(null);
        });
    }

    private CompletableFuture<Void> chained(final String key, final Supplier<CompletableFuture<Void>> step) {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final CompletableFuture<Void> previous = tails.put(key, done);
        final CompletableFuture<Void> start =
                previous == null ? CompletableFuture.completedFuture(null) : previous.handle((ok, error) -> null);
        start.thenCompose(ignored -> step.get()).whenComplete((ok, error) -> {
            tails.remove(key, done);
            if (error != null) {
                done.completeExceptionally(error);
            } else {
                done.complete(null);
            }
        });
        return done;
    }
}
