package dev.configmanager.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU used on the whole machine over a window, read from {@code /proc}: both brokers, the database server, the clients
 * and the kernel's work for all of them, which no one JVM's own CPU time shows. The database server's share is the
 * processes named {@code postgres}. Off Linux every figure is NaN.
 */
final class MachineCpu {

    private static final Path STAT = Path.of("/proc/stat");
    private static final double TICKS_PER_SECOND = 100; // USER_HZ: 100 on Linux

    private final int processors = Runtime.getRuntime().availableProcessors();
    private long[] before;
    private long startNanos;
    private double cores = Double.NaN;
    private double serverCores = Double.NaN;

    /** Opens the window. */
    void start() {
        before = sample();
        startNanos = System.nanoTime();
    }

    /** Closes the window: {@link #cores()} and {@link #serverCores()} now hold what it used. */
    void stop() {
        final long[] after = sample();
        final double seconds = (System.nanoTime() - startNanos) / 1e9;
        if (before == null || after == null || after[1] <= before[1]) {
            return;
        }
        cores = processors * (double) (after[0] - before[0]) / (after[1] - before[1]);
        serverCores = (after[2] - before[2]) / TICKS_PER_SECOND / seconds;
    }

    /** Cores busy on the machine in the window (at most the machine's). */
    double cores() {
        return cores;
    }

    /** Cores the database server's processes used in the window. */
    double serverCores() {
        return serverCores;
    }

    /** Busy and all ticks of the machine, and the ticks of the server's processes; {@code null} without /proc. */
    private static long[] sample() {
        try {
            final String[] cpu = Files.readAllLines(STAT).get(0).trim().split("\\s+");
            long all = 0;
            for (int i = 1; i < cpu.length; i++) {
                all += Long.parseLong(cpu[i]);
            }
            final long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]); // idle, iowait
            return new long[] {all - idle, all, serverTicks()};
        } catch (final IOException | RuntimeException e) {
            return null;
        }
    }

    private static long serverTicks() throws IOException {
        long ticks = 0;
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (final Path p : processes) {
                final String stat;
                try {
                    stat = Files.readString(p.resolve("stat"));
                } catch (final IOException gone) {
                    continue; // ended since the listing
                }
                final int close = stat.lastIndexOf(')');
                if (!stat.substring(stat.indexOf('(') + 1, close).equals("postgres")) {
                    continue;
                }
                final String[] fields = stat.substring(close + 2).split(" ");
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
            }
        }
        return ticks;
    }
}
