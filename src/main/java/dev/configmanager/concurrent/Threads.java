package dev.configmanager.concurrent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The extension's own threads: daemon (they never hold the broker's JVM open), named, and carrying the extension's
 * class loader, which HiveMQ only sets on its own threads.
 */
public final class Threads {

    private static final Logger log = LoggerFactory.getLogger(Threads.class);

    private Threads() {}

    public static ThreadFactory factory(final String name) {
        final ClassLoader loader = Threads.class.getClassLoader();
        final AtomicInteger n = new AtomicInteger();
        return runnable -> {
            final Thread t = new Thread(runnable, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            t.setContextClassLoader(loader);
            t.setUncaughtExceptionHandler((thread, e) -> log.error("config-manager: {} died", thread.getName(), e));
            return t;
        };
    }

    /** A fixed pool whose queue is bounded: when it is full, {@code execute} throws instead of growing. */
    public static ThreadPoolExecutor boundedPool(final String name, final int threads, final int queueCapacity) {
        return new ThreadPoolExecutor(
                threads,
                threads,
                0,
                TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(queueCapacity),
                factory(name),
                new ThreadPoolExecutor.AbortPolicy());
    }

    public static Thread start(final String name, final Runnable body) {
        final Thread t = factory(name).newThread(body);
        t.start();
        return t;
    }

    /**
     * Stops a pool: with {@code interrupt}, what runs is interrupted and what waits is dropped; without it, what was
     * handed over still runs. Waits up to {@code seconds} for it to end.
     */
    public static void stop(final ExecutorService pool, final boolean interrupt, final int seconds) {
        if (interrupt) {
            pool.shutdownNow();
        } else {
            pool.shutdown();
        }
        try {
            pool.awaitTermination(seconds, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
