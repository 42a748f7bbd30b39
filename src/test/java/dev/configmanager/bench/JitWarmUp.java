package dev.configmanager.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

/**
 * Load until the JIT compilers of the JVMs under test have compiled what the load runs. A fresh HiveMQ broker on two
 * cores compiles for a minute and more under load (measured on this machine: its C2 thread at a full core for 90 s,
 * at 0.2–0.6 of a core 30 s into the load): figures taken meanwhile measure the compiler beside the broker, not the
 * broker as it runs for days. The compilers' CPU is read from {@code /proc} (Linux; elsewhere a fixed warm-up).
 */
final class JitWarmUp {

    /** One step of load between two looks at the compilers. */
    private static final long STEP_MILLIS = 10_000;
    /** Compilers below this share of one core during a step count as done. */
    private static final double QUIET = 0.05;

    private static final long MAX_MILLIS = 180_000;
    private static final long HZ = 100; // USER_HZ, 100 on every Linux this runs on

    private JitWarmUp() {}

    /** Load a few seconds long, run repeatedly. */
    interface Load {
        void run(long millis) throws Exception;
    }

    /**
     * Runs {@code load} in steps until, during one step, the compiler threads of every process in {@code pids} used
     * less than 5 % of a core (at most three minutes; at least one step). Returns what it did, for the figure's note.
     */
    static String run(final Load load, final long... pids) throws Exception {
        final long started = System.nanoTime();
        if (Arrays.stream(pids).anyMatch(p -> compilerTicks(p) < 0)) {
            load.run(60_000);
            return "warmed up for 60 s (compiler threads not readable here)";
        }
        double busiest;
        do {
            final long[] before =
                    Arrays.stream(pids).map(JitWarmUp::compilerTicks).toArray();
            final long t = System.nanoTime();
            load.run(STEP_MILLIS);
            final double seconds = (System.nanoTime() - t) / 1e9;
            busiest = 0;
            for (int i = 0; i < pids.length; i++) {
                busiest = Math.max(busiest, (compilerTicks(pids[i]) - before[i]) / (double) HZ / seconds);
            }
        } while (busiest >= QUIET && System.nanoTime() - started < MAX_MILLIS * 1_000_000);
        return String.format(
                "warmed up %.0f s; the JIT compilers used %.0f %% of a core in its last 10 s",
                (System.nanoTime() - started) / 1e9, busiest * 100);
    }

    /** CPU ticks of the process's JIT compiler threads so far, or -1 where {@code /proc} cannot tell. */
    static long compilerTicks(final long pid) {
        final Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (Stream<Path> threads = Files.list(tasks)) {
            return threads.mapToLong(JitWarmUp::ticksIfCompiler).sum();
        } catch (final IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long ticksIfCompiler(final Path thread) {
        try {
            final String stat = Files.readString(thread.resolve("stat"));
            final int open = stat.indexOf('(');
            final int close = stat.lastIndexOf(')');
            if (!stat.substring(open + 1, close).contains("CompilerThre")) {
                return 0;
            }
            final String[] fields = stat.substring(close + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
        } catch (final IOException | RuntimeException e) {
            return 0; // a thread that ended meanwhile
        }
    }
}
