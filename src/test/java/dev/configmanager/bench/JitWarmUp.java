package dev.configmanager.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Load until the JIT compilers of the JVMs under test have compiled what the load runs. A fresh HiveMQ broker on two
 * cores compiles for a minute and more under load (measured on this machine: its C2 thread at a full core for about
 * 90 s): figures taken meanwhile measure the compiler beside the broker, not the broker as it runs for days. The
 * compilers' CPU is read from {@code /proc} (Linux; elsewhere a fixed warm-up).
 */
final class JitWarmUp {

    /** One step of load between two looks at the compilers. */
    private static final long STEP_MILLIS = 10_000;
    /** Compilers below this share of one core during a step count as done. */
    private static final double QUIET = 0.05;

    private static final long MAX_MILLIS = 180_000;
    private static final long HZ = 100; // USER_HZ, 100 on every Linux this runs on

    private JitWarmUp() {}

    /** Load a few seconds long, run repeatedly; {@code step} counts from 0. */
    interface Load {
        void run(int step, long millis) throws Exception;
    }

    /**
     * Runs {@code load} in steps until, during one step, the compiler threads of each process in {@code pids} used
     * less than 5 % of a core (at most three minutes; at least one step). Returns what it did, for the figure's note.
     *
     * @throws IllegalStateException when a process under test is gone
     */
    static String run(final Load load, final long... pids) throws Exception {
        final long started = System.nanoTime();
        for (final long pid : pids) {
            if (compilerTicks(pid).isEmpty()) {
                load.run(0, 60_000);
                return "warmed up for 60 s (no compiler threads readable in /proc here)";
            }
        }
        int step = 0;
        double busiest;
        double seconds;
        boolean capped;
        do {
            final Map<Long, Map<String, Long>> before = new HashMap<>();
            for (final long pid : pids) {
                before.put(pid, compilerTicks(pid));
            }
            final long t = System.nanoTime();
            load.run(step++, STEP_MILLIS);
            seconds = (System.nanoTime() - t) / 1e9;
            busiest = 0;
            for (final long pid : pids) {
                busiest = Math.max(busiest, ticksSince(before.get(pid), compilerTicks(pid)) / (double) HZ / seconds);
            }
            capped = System.nanoTime() - started >= MAX_MILLIS * 1_000_000;
        } while (busiest >= QUIET && !capped);
        return String.format(
                "warmed up %.0f s; in its last step (%.0f s) the busiest JVM's JIT compilers used %.0f %% of a core%s",
                (System.nanoTime() - started) / 1e9,
                seconds,
                busiest * 100,
                busiest >= QUIET ? " (three-minute cap reached: still compiling)" : "");
    }

    /**
     * Ticks each compiler thread used since {@code before}: per thread, so that a compiler thread the JVM ends
     * meanwhile (HotSpot stops idle ones on larger machines) takes none of the others' ticks away.
     */
    private static long ticksSince(final Map<String, Long> before, final Map<String, Long> now) {
        long sum = 0;
        for (final Map.Entry<String, Long> thread : now.entrySet()) {
            sum += Math.max(0, thread.getValue() - before.getOrDefault(thread.getKey(), 0L));
        }
        return sum;
    }

    /**
     * CPU ticks so far of each JIT compiler thread of the process, by thread id; empty where {@code /proc} shows none.
     *
     * @throws IllegalStateException when the process is gone (a dead broker is not a quiet compiler) or its threads
     *     cannot be read
     */
    static Map<String, Long> compilerTicks(final long pid) {
        final Path tasks = Path.of("/proc", Long.toString(pid), "task");
        final Map<String, Long> ticks = new HashMap<>();
        try (Stream<Path> threads = Files.list(tasks)) {
            threads.forEach(thread -> addIfCompiler(thread, ticks));
        } catch (final NoSuchFileException e) {
            if (Files.isDirectory(Path.of("/proc", "self", "task"))) {
                throw new IllegalStateException("process " + pid + " is gone", e);
            }
        } catch (final IOException e) {
            // an empty answer here would read as a quiet compiler and end the warm-up
            throw new IllegalStateException("cannot read the threads of process " + pid, e);
        }
        return ticks;
    }

    private static void addIfCompiler(final Path thread, final Map<String, Long> ticks) {
        try {
            final String stat = Files.readString(thread.resolve("stat"));
            final int open = stat.indexOf('(');
            final int close = stat.lastIndexOf(')');
            // HotSpot's "C1 CompilerThre", "C2 CompilerThre"; Graal's "JVMCI CompilerT"
            if (!stat.substring(open + 1, close).contains("Compiler")) {
                return;
            }
            final String[] fields = stat.substring(close + 2).split(" ");
            ticks.put(thread.getFileName().toString(), Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
        } catch (final IOException | RuntimeException e) {
            // a thread that ended meanwhile
        }
    }
}
