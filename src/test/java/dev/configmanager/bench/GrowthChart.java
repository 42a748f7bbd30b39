package dev.configmanager.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A grouped bar chart (SVG) of how one figure grows with its size, drawn from the table's rows: the first part of a
 * row's size is the x position ("16 requesters"), the figure name and the rest of the size name the series.
 */
final class GrowthChart {

    private static final String[] COLOURS = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759"};
    private static final int WIDTH = 760;
    private static final int HEIGHT = 350;
    private static final int LEFT = 70;
    private static final int TOP = 40;
    private static final int PLOT_W = 660;
    private static final int PLOT_H = 250;

    private GrowthChart() {}

    static void write(final Path file, final String title, final List<Table.Row> all, final Predicate<Table.Row> select)
            throws IOException {
        final Set<String> xs = new LinkedHashSet<>();
        final Map<String, Map<String, Double>> series = new LinkedHashMap<>();
        String unit = "";
        for (final Table.Row r : all) {
            if (!select.test(r) || Double.isNaN(r.median())) {
                continue;
            }
            final int comma = r.size().indexOf(", ");
            final String x = comma < 0 ? r.size() : r.size().substring(0, comma);
            final String name =
                    r.figure().substring(2) + (comma < 0 ? "" : ", " + r.size().substring(comma + 2));
            xs.add(x);
            series.computeIfAbsent(name, k -> new LinkedHashMap<>()).put(x, r.median());
            unit = r.unit();
        }
        if (series.isEmpty()) {
            return;
        }
        final double max = series.values().stream()
                        .flatMap(m -> m.values().stream())
                        .mapToDouble(Double::doubleValue)
                        .max()
                        .orElse(1)
                * 1.1;
        final StringBuilder svg = new StringBuilder(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
                        + "font-size=\"12\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n"
                        + "<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>%n",
                WIDTH,
                HEIGHT,
                LEFT,
                escape(title)));
        for (int i = 0; i <= 4; i++) { // grid lines with their values
            final double y = TOP + PLOT_H - PLOT_H * i / 4.0;
            svg.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                            + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">" + (max < 20 ? "%.1f" : "%.0f")
                            + "</text>%n",
                    LEFT,
                    LEFT + PLOT_W,
                    y,
                    y,
                    LEFT - 6,
                    y + 4,
                    max * i / 4));
        }
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\">%s</text>%n",
                TOP + PLOT_H / 2,
                TOP + PLOT_H / 2,
                escape(unit)));
        final List<String> names = new ArrayList<>(series.keySet());
        final double group = PLOT_W / (double) xs.size();
        final double bar = group * 0.8 / names.size();
        int xi = 0;
        for (final String x : xs) {
            final double x0 = LEFT + group * xi++ + group * 0.1;
            for (int s = 0; s < names.size(); s++) {
                final Double v = series.get(names.get(s)).get(x);
                if (v != null) {
                    final double h = PLOT_H * v / max;
                    svg.append(String.format(
                            Locale.ROOT,
                            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                                    + "fill=\"%s\"><title>%s: %.2f</title></rect>%n",
                            x0 + bar * s,
                            TOP + PLOT_H - h,
                            bar,
                            h,
                            COLOURS[s % COLOURS.length],
                            escape(names.get(s)),
                            v));
                }
            }
            svg.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    x0 + group * 0.4,
                    TOP + PLOT_H + 18,
                    escape(x)));
        }
        for (int s = 0; s < names.size(); s++) { // legend
            final int y = TOP + PLOT_H + 40 + 16 * (s / 2);
            final int x = LEFT + (s % 2) * (PLOT_W / 2);
            svg.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%d\">%s</text>%n",
                    x,
                    y - 9,
                    COLOURS[s % COLOURS.length],
                    x + 14,
                    y,
                    escape(names.get(s))));
        }
        Files.writeString(file, svg.append("</svg>\n"));
    }

    private static String escape(final String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
