package dev.configmanager.bench;

import java.util.Arrays;

/** min / median / p99 of a sample, in the unit it was recorded in. */
record Stats(double min, double median, double p99, int n) {

    static Stats of(final double[] values) {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int mid = sorted.length / 2;
        final double median = sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new Stats(sorted[0], median, at(sorted, 0.99), sorted.length);
    }

    private static double at(final double[] sorted, final double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
