package dev.configmanager.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU used over a window, read from {@code /proc}: on the whole machine (both brokers, the database server, the
 * clients and the kernel's work for all of them, which no one JVM's own CPU time shows) and by one database server
 * (its postmaster and every backend under it). Off Linux every figure is NaN.
 */
final class MachineCpu {

    private static final Path PROC = Path.of("/proc");
    private static final double TICKS_PER_SECOND = 100; // USER_HZ: 100 on Linux

    private final long server;
    private long[] before;
    private long startNanos;
    private double busySeconds = Double.NaN;
    private double serverSeconds = Double.NaN;
    private double contextSwitches = Double.NaN;

    /** @param server the database server's postmaster process id, or 0 for none */
    MachineCpu(final long server) {
        this.server = server;
    }

    /** Opens the window. */
    void start() {
        before = sample();
        startNanos = System.nanoTime();
    }

    /** Closes the window: the figures below now hold what it used. */
    void stop() {
        final long[] after = sample();
        final double seconds = (System.nanoTime() - startNanos) / 1e9;
        if (before == null || after == null || after[1] <= before[1]) {
            return;
        }
        // the share of all CPUs' ticks that were busy, over the window's wall time: CPU-seconds on the machine
        busySeconds = after[3] * seconds * (after[0] - before[0]) / (after[1] - before[1]);
        serverSeconds = server == 0 ? 0 : (after[2] - before[2]) / TICKS_PER_SECOND;
        contextSwitches = after[4] - before[4];
    }

    /** CPU-seconds the machine spent in the window. */
    double busySeconds() {
        return busySeconds;
    }

    /** CPU-seconds the database server spent in the window. */
    double serverSeconds() {
        return serverSeconds;
    }

    /** Context switches on the whole machine in the window: how often a thread gave its CPU to another. */
    double contextSwitches() {
        return contextSwitches;
    }

    /**
     * Busy and all ticks of the machine ({@code /proc/stat}: user, nice, system, irq and softirq are busy; idle,
     * iowait and steal are not; guest time is already inside user), the server's ticks, the number of CPUs and the
     * machine's context switches since boot; {@code null} without /proc.
     */
    private long[] sample() {
        try {
            final List<String> stat = Files.readAllLines(PROC.resolve("stat"));
            final String[] cpu = stat.get(0).trim().split("\\s+");
            final long busy = field(cpu, 1) + field(cpu, 2) + field(cpu, 3) + field(cpu, 6) + field(cpu, 7);
            final long all = busy + field(cpu, 4) + field(cpu, 5) + field(cpu, 8);
            final long switches = stat.stream()
                    .filter(l -> l.startsWith("ctxt "))
                    .mapToLong(l -> Long.parseLong(l.substring(5).trim()))
                    .findFirst()
                    .orElseThrow();
            return new long[] {busy, all, server == 0 ? 0 : serverTicks(), cpus(stat), switches};
        } catch (final IOException | RuntimeException e) {
            return null;
        }
    }

    private static long field(final String[] cpu, final int i) {
        return i < cpu.length ? Long.parseLong(cpu[i]) : 0;
    }

    /** The CPUs {@code /proc/stat} sums over: its {@code cpuN} lines. */
    static int cpus() throws IOException {
        return cpus(Files.readAllLines(PROC.resolve("stat")));
    }

    private static int cpus(final List<String> stat) {
        return (int) stat.stream().filter(l -> l.matches("cpu\\d+ .*")).count();
    }

    /**
     * The postmaster's own ticks, those of the children it has reaped (a backend that ended in the window still
     * counts), and those of its live children (the backends).
     */
    private long serverTicks() throws IOException {
        final String[] postmaster = stat(PROC.resolve(Long.toString(server)));
        if (postmaster == null) {
            throw new IOException("the database server's postmaster " + server + " is gone");
        }
        long ticks = 0;
        for (int i = 11; i <= 14; i++) { // utime, stime, cutime, cstime
            ticks += Long.parseLong(postmaster[i]);
        }
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (final Path p : processes) {
                final String[] child = stat(p);
                if (child != null && Long.parseLong(child[1]) == server) { // its parent
                    ticks += Long.parseLong(child[11]) + Long.parseLong(child[12]);
                }
            }
        }
        return ticks;
    }

    /** The fields of {@code /proc/<pid>/stat} after the command name (state first), or null once it has ended. */
    private static String[] stat(final Path process) {
        try {
            final String stat = Files.readString(process.resolve("stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        } catch (final IOException | RuntimeException gone) {
            return null;
        }
    }
}
