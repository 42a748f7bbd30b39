package dev.configmanager.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The results: printed as a table and written as CSV, Markdown and SVG charts under target/bench/. */
final class Table {

    /** One figure: what was measured, at which size, its statistics, and the target verdict if it has one. */
    record Row(String figure, String size, String unit, double min, double median, double p99, String note) {}

    private final List<Row> rows = new ArrayList<>();

    void add(final String figure, final String size, final String unit, final Stats s, final String note) {
        rows.add(new Row(figure, size, unit, s.min(), s.median(), s.p99(), note));
        System.out.println(format(rows.get(rows.size() - 1)));
    }

    void add(final String figure, final String size, final String unit, final double value, final String note) {
        add(figure, size, unit, new Stats(value, value, value, 1), note);
    }

    void write(final Path dir) throws IOException {
        Files.createDirectories(dir);
        final StringBuilder csv = new StringBuilder("figure,size,unit,min,median,p99,note\n");
        final StringBuilder md = new StringBuilder(
                "| figure | size | unit | min | median | p99 | note |\n" + "|---|---|---|---|---|---|---|\n");
        for (final Row r : rows) {
            csv.append(String.format(
                    Locale.ROOT,
                    "\"%s\",\"%s\",%s,%.3f,%.3f,%.3f,\"%s\"%n",
                    r.figure(),
                    r.size(),
                    r.unit(),
                    r.min(),
                    r.median(),
                    r.p99(),
                    r.note()));
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %s | %s | %s |%n",
                    r.figure(),
                    r.size(),
                    r.unit(),
                    num(r, r.min()),
                    num(r, r.median()),
                    num(r, r.p99()),
                    r.note()));
        }
        Files.writeString(dir.resolve("results.csv"), csv);
        Files.writeString(dir.resolve("results.md"), md);
        // how cost grows with the work: one chart per figure that has sizes
        GrowthChart.write(
                dir.resolve("figure-2-round-trip.svg"),
                "2 round trip by config size (median)",
                rows,
                r -> r.figure().startsWith("2 config request") || r.figure().startsWith("2 plain retained"));
        GrowthChart.write(
                dir.resolve("figure-3-throughput.svg"),
                "3 accepted durable config updates per second",
                rows,
                r -> r.figure().startsWith("3 accepted"));
        GrowthChart.write(
                dir.resolve("figure-4-connect-rate.svg"),
                "4 connect rate (connections per second)",
                rows,
                r -> r.figure().startsWith("4 connect rate,"));
        GrowthChart.write(
                dir.resolve("figure-4-health-present.svg"),
                "4 time until every retained health is present",
                rows,
                r -> r.figure().startsWith("4 time until"));
    }

    private static String format(final Row r) {
        return String.format(
                Locale.ROOT,
                "%-44s %-12s %-10s min %10s  median %10s  p99 %10s  %s",
                r.figure(),
                r.size(),
                r.unit(),
                num(r, r.min()),
                num(r, r.median()),
                num(r, r.p99()),
                r.note());
    }

    /** Ratios get three decimals: with two, 0.899 against a target of 0.90 would read "0.90 MISSED ≥ 0.90". */
    private static String num(final Row r, final double v) {
        return r.unit().equals("ratio") ? String.format(Locale.ROOT, "%.3f", v) : num(v);
    }

    private static String num(final double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
