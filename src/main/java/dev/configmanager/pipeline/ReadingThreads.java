package dev.configmanager.pipeline;

import dev.configmanager.concurrent.Threads;
import dev.configmanager.pipeline.ConfigPipeline.Answer;
import dev.configmanager.wire.Envelope;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.Supplier;

/**
 * Where a request is read: a small one for a service without a schema on the caller's thread (a linear scan and a
 * small tree, cheaper than a hand-off; over MQTT that is a broker thread, which the read never blocks), anything
 * larger, or anything a schema validates (its patterns may spend up to their budget), on a small pool of our own.
 */
final class ReadingThreads implements AutoCloseable {

    /** Requests up to this size are read on the caller's thread. */
    private static final int INLINE_BYTES = 8 * 1024;

    private final SchemaRegistry schemas;
    private final ThreadPoolExecutor pool =
            Threads.boundedPool("config-manager-parse", 2, GroupCommitWriter.QUEUE_CAPACITY);

    ReadingThreads(final SchemaRegistry schemas) {
        this.schemas = schemas;
    }

    /** Runs {@code reading}; a full pool answers {@code overloaded} at once. */
    CompletableFuture<Answer> read(
            final String service, final int payloadBytes, final Supplier<CompletableFuture<Answer>> reading) {
        if (payloadBytes <= INLINE_BYTES && !schemas.hasSchema(service)) {
            return reading.get();
        }
        try {
            return CompletableFuture.supplyAsync(reading, pool).thenCompose(answer -> answer);
        } catch (final RejectedExecutionException e) {
            return CompletableFuture.completedFuture(
                    new Answer(Envelope.newId(), GroupCommitWriter.overloaded(service)));
        }
    }

    /** Reads what was handed over, then stops (at most five seconds). */
    @Override
    public void close() {
        Threads.stop(pool, false, 5);
    }
}
