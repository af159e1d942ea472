package org.sdd4j.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import javax.imageio.ImageIO;

/**
 * The DET curve (miss against false alarm rate on normal-deviate axes, where Gaussian score
 * distributions draw straight lines) and the score histograms of a {@link ScoreSet}, training curves, and
 * per-layer bar charts, as SVG and PNG.
 */
public final class Plots {
    private static final int WIDTH = 640;
    private static final int HEIGHT = 480;
    private static final double LEFT = 70;
    private static final double RIGHT = 20;
    private static final double TOP = 36;
    private static final double BOTTOM = 56;
    private static final int BONAFIDE = 0x1f77b4;
    private static final int SPOOF = 0xd62728;
    private static final int GRID = 0xdddddd;
    private static final int FAINT = 0xaec7e8;
    private static final double[] DET_TICKS = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.98, 0.99};

    private Plots() {
    }

    /** Writes det.svg, det.png, hist.svg and hist.png into the folder (created if missing); returns the files. */
    public static List<Path> write(Path folder, ScoreSet scores) throws IOException {
        Files.createDirectories(folder);
        DetCurve curve = DetCurve.of(scores);
        Eer eer = Eer.of(curve);
        return List.of(
                svg(folder.resolve("det.svg"), c -> drawDet(c, curve, eer)),
                png(folder.resolve("det.png"), c -> drawDet(c, curve, eer)),
                svg(folder.resolve("hist.svg"), c -> drawHistogram(c, scores, eer)),
                png(folder.resolve("hist.png"), c -> drawHistogram(c, scores, eer)));
    }

    /**
     * A line chart of {@code y} against {@code x} (training curves: loss per step, validation EER per epoch),
     * written as {@code name.svg} and {@code name.png} in {@code folder}.
     */
    public static List<Path> writeCurve(Path folder, String name, String title, String xLabel, String yLabel,
                                        double[] x, double[] y) throws IOException {
        Files.createDirectories(folder);
        return List.of(svg(folder.resolve(name + ".svg"), c -> drawCurve(c, title, xLabel, yLabel, x, y)),
                png(folder.resolve(name + ".png"), c -> drawCurve(c, title, xLabel, yLabel, x, y)));
    }

    static void drawCurve(Canvas c, String title, String xLabel, String yLabel, double[] x, double[] y) {
        double plotW = WIDTH - LEFT - RIGHT, plotH = HEIGHT - TOP - BOTTOM;
        double ylo = Double.POSITIVE_INFINITY, yhi = Double.NEGATIVE_INFINITY;
        for (double v : y) {
            ylo = Math.min(ylo, v);
            yhi = Math.max(yhi, v);
        }
        double[] yt = y.length == 0 ? niceTicks(0, 1) : niceTicks(ylo, yhi);
        double[] xt = x.length == 0 ? niceTicks(0, 1) : niceTicks(x[0], x[x.length - 1]);
        double x0 = xt[0], x1 = xt[xt.length - 1], y0 = yt[0], y1 = yt[yt.length - 1];
        java.util.function.DoubleUnaryOperator toY = v -> TOP + (y1 - v) / (y1 - y0) * plotH;
        for (double v : yt) {
            double gy = toY.applyAsDouble(v);
            c.line(LEFT, gy, LEFT + plotW, gy, GRID, 1, false);
            c.text(LEFT - 6, gy + 4, tickLabel(v, yt), 11, Canvas.Align.END, false);
        }
        for (double v : xt) {
            c.text(LEFT + (v - x0) / (x1 - x0) * plotW, TOP + plotH + 18, tickLabel(v, xt), 11,
                    Canvas.Align.MIDDLE, false);
        }
        double[] px = new double[x.length], py = new double[y.length];
        for (int i = 0; i < x.length; i++) {
            px[i] = LEFT + (x[i] - x0) / (x1 - x0) * plotW;
            py[i] = toY.applyAsDouble(y[i]);
        }
        int window = smoothingWindow(y.length);
        if (window > 1) {
            // Per-step values of a small batch are noisy: draw them faint, and their running mean over it.
            c.polyline(px, py, FAINT, 1);
            double[] mean = trailingMean(y, window), pm = new double[mean.length];
            for (int i = 0; i < mean.length; i++) {
                pm[i] = toY.applyAsDouble(mean[i]);
            }
            c.polyline(px, pm, BONAFIDE, 2);
            c.text(LEFT + plotW, TOP - 6, "faint: each point; line: mean of the last " + window, 11,
                    Canvas.Align.END, false);
        } else {
            c.polyline(px, py, BONAFIDE, 1.5);
        }
        frame(c, plotW, plotH);
        c.text(LEFT + plotW / 2, HEIGHT - 14, xLabel, 13, Canvas.Align.MIDDLE, false);
        c.text(18, TOP + plotH / 2, yLabel, 13, Canvas.Align.MIDDLE, true);
        c.text(LEFT + plotW / 2, 22, title, 15, Canvas.Align.MIDDLE, false);
    }

    /** Points a curve's running mean spans: none below 30 points, then a twentieth of them, at least 5. */
    static int smoothingWindow(int points) {
        return points < 30 ? 1 : Math.max(5, points / 20);
    }

    /** The mean of each value and the up to {@code window - 1} before it. */
    static double[] trailingMean(double[] y, int window) {
        double[] out = new double[y.length];
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            sum += y[i];
            if (i >= window) {
                sum -= y[i - window];
            }
            out[i] = sum / Math.min(i + 1, window);
        }
        return out;
    }

    /**
     * Axis ticks at round values (1, 2 or 5 times a power of ten apart) covering {@code [lo, hi]}, three to eight
     * of them; the axis runs from the first to the last. Steps and epochs get whole-number ticks.
     */
    static double[] niceTicks(double lo, double hi) {
        if (!(hi > lo)) {
            double pad = lo == 0 || !Double.isFinite(lo) ? 0.5 : Math.abs(lo) * 0.1;
            lo = Double.isFinite(lo) ? lo - pad : 0;
            hi = lo + 2 * pad;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10((hi - lo) / 5)));
        double step = 0;
        long first = 0, last = 0;
        for (double m : new double[] {1, 2, 5, 10}) {     // the finest step that needs at most eight ticks
            step = m * magnitude;
            first = (long) Math.floor(lo / step + 1e-9);
            last = (long) Math.ceil(hi / step - 1e-9);
            if (last - first + 1 <= 8) {
                break;
            }
        }
        double[] ticks = new double[(int) (last - first + 1)];
        for (int i = 0; i < ticks.length; i++) {
            ticks[i] = (first + i) * step;
        }
        return ticks;
    }

    /** A tick's label with as many decimals as the tick step needs. */
    static String tickLabel(double v, double[] ticks) {
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
        int decimals = (int) Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
        return String.format(java.util.Locale.ROOT, "%." + decimals + "f", v == 0 ? 0.0 : v);
    }

    /** One named row of values of a {@link #writeLayerChart layer chart}, one value per layer (NaN: none). */
    public record Series(String name, double[] values) {
    }

    private static final int[] SERIES_COLOURS = {BONAFIDE, 0xff7f0e, 0x2ca02c, SPOOF};
    private static final int LABEL_CHARS = 28;
    private static final double LABEL_CHAR_WIDTH = 6;
    private static final double LEGEND = 34;

    /**
     * A bar chart of values per named layer (one bar per series in each layer's slot, layers in the given
     * order along x, names written vertically below, the legend under them), as {@code name.svg} and
     * {@code name.png} in {@code folder}. Without {@code yMax} the y axis spans {@code [min(0, values),
     * max(values)]}; with it (e.g. 1 for similarities) it spans {@code [lower, yMax]}, the lower end the
     * tenth below the smallest value, so that small differences near the top stay visible.
     */
    public static List<Path> writeLayerChart(Path folder, String name, String title, String yLabel,
                                             List<String> layers, List<Series> series, Double yMax) throws IOException {
        for (Series s : series) {
            if (s.values().length != layers.size()) {
                throw new IllegalArgumentException("series " + s.name() + " has " + s.values().length + " values for "
                        + layers.size() + " layers");
            }
        }
        Files.createDirectories(folder);
        int longest = layers.stream().mapToInt(l -> Math.min(l.length(), LABEL_CHARS)).max().orElse(0);
        double labels = 12 + longest * LABEL_CHAR_WIDTH;
        int width = (int) Math.max(WIDTH, LEFT + RIGHT + 12.0 * layers.size() * Math.max(2, series.size()));
        int height = (int) (TOP + 320 + labels + LEGEND);
        Consumer<Canvas> draw = c -> drawLayerChart(c, width, height, labels, title, yLabel, layers, series, yMax);
        return List.of(svg(folder.resolve(name + ".svg"), width, height, draw),
                png(folder.resolve(name + ".png"), width, height, draw));
    }

    static void drawLayerChart(Canvas c, int width, int height, double labels, String title, String yLabel,
                               List<String> layers, List<Series> series, Double yMax) {
        double plotW = width - LEFT - RIGHT, plotH = height - TOP - labels - LEGEND;
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (double v : s.values()) {
                if (Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        double lo, hi;
        if (yMax != null) {
            hi = yMax;
            lo = Double.isFinite(min) ? Math.min(Math.floor(min * 10 - 1e-9) / 10, hi - 0.1) : hi - 1;
        } else {
            lo = Double.isFinite(min) ? Math.min(0, min) : 0;
            hi = Double.isFinite(max) ? max : 1;
        }
        if (!(hi > lo)) {
            hi = lo + 1;
        }
        double[] ticks = niceTicks(lo, hi);
        if (yMax == null) {     // a free axis ends on round values; a fixed top (CKA's 1) stays where it is
            lo = ticks[0];
            hi = ticks[ticks.length - 1];
        }
        final double y0 = lo, y1 = hi;
        java.util.function.DoubleUnaryOperator py = v -> TOP + (y1 - clamp(v, y0, y1)) / (y1 - y0) * plotH;
        for (double v : ticks) {
            if (v < y0 - 1e-12 || v > y1 + 1e-12) {
                continue;
            }
            double gy = py.applyAsDouble(v);
            c.line(LEFT, gy, LEFT + plotW, gy, GRID, 1, false);
            c.text(LEFT - 6, gy + 4, tickLabel(v, ticks), 11, Canvas.Align.END, false);
        }
        double slot = layers.isEmpty() ? plotW : plotW / layers.size();
        double bar = slot * 0.8 / Math.max(1, series.size());
        double zero = py.applyAsDouble(0);   // bars grow from 0, or from the axis's end when 0 is off it
        for (int l = 0; l < layers.size(); l++) {
            double x = LEFT + l * slot;
            for (int k = 0; k < series.size(); k++) {
                double v = series.get(k).values()[l];
                if (Double.isFinite(v)) {
                    double end = py.applyAsDouble(v);
                    c.fillRect(x + slot * 0.1 + k * bar, Math.min(end, zero), bar, Math.max(Math.abs(zero - end), 0.5),
                            SERIES_COLOURS[k % SERIES_COLOURS.length], 0.85);
                }
            }
            String label = layers.get(l);
            if (label.length() > LABEL_CHARS) {
                label = "\u2026" + label.substring(label.length() - LABEL_CHARS + 1);
            }
            c.text(x + slot / 2 + 4, TOP + plotH + 6, label, 10, Canvas.Align.END, true);
        }
        frame(c, plotW, plotH);
        double lx = LEFT;
        for (int k = 0; k < series.size(); k++) {
            double ly = height - LEGEND + 10;
            c.fillRect(lx, ly, 12, 12, SERIES_COLOURS[k % SERIES_COLOURS.length], 0.85);
            c.text(lx + 18, ly + 10, series.get(k).name(), 11, Canvas.Align.START, false);
            lx += 40 + 7 * series.get(k).name().length();
        }
        c.text(18, TOP + plotH / 2, yLabel, 13, Canvas.Align.MIDDLE, true);
        c.text(LEFT + plotW / 2, 22, title, 15, Canvas.Align.MIDDLE, false);
    }

    private static Path svg(Path file, Consumer<Canvas> draw) throws IOException {
        return svg(file, WIDTH, HEIGHT, draw);
    }

    private static Path svg(Path file, int width, int height, Consumer<Canvas> draw) throws IOException {
        SvgCanvas c = new SvgCanvas(width, height);
        draw.accept(c);
        return Files.writeString(file, c.finish(), StandardCharsets.UTF_8);
    }

    private static Path png(Path file, Consumer<Canvas> draw) throws IOException {
        return png(file, WIDTH, HEIGHT, draw);
    }

    private static Path png(Path file, int width, int height, Consumer<Canvas> draw) throws IOException {
        System.setProperty("java.awt.headless", "true");
        RasterCanvas c = new RasterCanvas(width, height);
        draw.accept(c);
        if (!ImageIO.write(c.finish(), "png", file.toFile())) {
            throw new IOException(file + ": no PNG writer available");
        }
        return file;
    }

    static void drawDet(Canvas c, DetCurve curve, Eer eer) {
        drawDet(c, String.format(Locale.ROOT, "DET curve, EER %.2f %%", 100 * eer.rate()),
                List.of(new NamedCurve(null, curve)));
    }

    /** A DET curve with the name its legend entry shows (null: no legend). */
    private record NamedCurve(String name, DetCurve curve) {
    }

    /**
     * DET curves of several systems on one chart (one colour each, a legend with each EER), as {@code name.svg}
     * and {@code name.png} in {@code folder}: how fine-tuning methods compare on one test set.
     *
     * @param systems score sets by system name, drawn in the map's order
     */
    public static List<Path> writeDetComparison(Path folder, String name, String title,
                                                java.util.SequencedMap<String, ScoreSet> systems) throws IOException {
        if (systems.isEmpty()) {
            throw new IllegalArgumentException("no systems to draw");
        }
        Files.createDirectories(folder);
        List<NamedCurve> curves = new java.util.ArrayList<>();
        systems.forEach((system, scores) -> {
            DetCurve curve = DetCurve.of(scores);
            curves.add(new NamedCurve(String.format(Locale.ROOT, "%s (EER %.2f %%)", system,
                    100 * Eer.of(curve).rate()), curve));
        });
        return List.of(svg(folder.resolve(name + ".svg"), c -> drawDet(c, title, curves)),
                png(folder.resolve(name + ".png"), c -> drawDet(c, title, curves)));
    }

    private static final int[] DET_COLOURS = {BONAFIDE, 0xff7f0e, 0x2ca02c, SPOOF, 0x9467bd, 0x8c564b, 0x7f7f7f};

    private static void drawDet(Canvas c, String title, List<NamedCurve> curves) {
        double lo = Probit.of(DET_TICKS[0]);
        double hi = Probit.of(DET_TICKS[DET_TICKS.length - 1]);
        double plotW = WIDTH - LEFT - RIGHT;
        double plotH = HEIGHT - TOP - BOTTOM;
        java.util.function.DoubleUnaryOperator px = p -> LEFT + (clamp(Probit.of(p), lo, hi) - lo) / (hi - lo) * plotW;
        java.util.function.DoubleUnaryOperator py = p -> TOP + plotH - (clamp(Probit.of(p), lo, hi) - lo) / (hi - lo) * plotH;
        for (double t : DET_TICKS) {
            String label = percent(t);
            c.line(px.applyAsDouble(t), TOP, px.applyAsDouble(t), TOP + plotH, GRID, 1, false);
            c.line(LEFT, py.applyAsDouble(t), LEFT + plotW, py.applyAsDouble(t), GRID, 1, false);
            c.text(px.applyAsDouble(t), TOP + plotH + 16, label, 10, Canvas.Align.MIDDLE, false);
            c.text(LEFT - 6, py.applyAsDouble(t) + 4, label, 10, Canvas.Align.END, false);
        }
        frame(c, plotW, plotH);
        // The EER line, miss = false alarm.
        c.line(LEFT, TOP + plotH, LEFT + plotW, TOP, 0x999999, 1, true);
        for (int k = 0; k < curves.size(); k++) {
            DetCurve curve = curves.get(k).curve();
            int colour = DET_COLOURS[k % DET_COLOURS.length];
            double[] xs = new double[curve.size()];
            double[] ys = new double[curve.size()];
            for (int i = 0; i < curve.size(); i++) {
                xs[i] = px.applyAsDouble(curve.falseAlarmRate(i));
                ys[i] = py.applyAsDouble(curve.missRate(i));
            }
            c.polyline(xs, ys, colour, 2);
            if (curves.get(k).name() != null) {
                // Legend in the upper right, where good systems' curves do not reach.
                double ly = TOP + 16 + 16 * k;
                c.line(LEFT + plotW - 250, ly - 4, LEFT + plotW - 230, ly - 4, colour, 3, false);
                c.text(LEFT + plotW - 224, ly, curves.get(k).name(), 11, Canvas.Align.START, false);
            }
        }
        c.text(LEFT + plotW / 2, HEIGHT - 14, "False alarm rate (spoof accepted, %)", 13, Canvas.Align.MIDDLE, false);
        c.text(18, TOP + plotH / 2, "Miss rate (bona fide rejected, %)", 13, Canvas.Align.MIDDLE, true);
        c.text(LEFT + plotW / 2, 22, title, 15, Canvas.Align.MIDDLE, false);
    }

    static void drawHistogram(Canvas c, ScoreSet scores, Eer eer) {
        double[] bona = scores.bonafideScores();
        double[] spoof = scores.spoofScores();
        double min = Math.min(min(bona), min(spoof));
        double max = Math.max(max(bona), max(spoof));
        if (max == min) {
            max = min + 1;
        }
        int bins = (int) Math.max(10, Math.min(60, Math.round(Math.sqrt(scores.size()))));
        double width = (max - min) / bins;
        double[] hb = density(bona, min, width, bins);
        double[] hs = density(spoof, min, width, bins);
        double top = Math.max(max(hb), max(hs)) * 1.05;
        double plotW = WIDTH - LEFT - RIGHT;
        double plotH = HEIGHT - TOP - BOTTOM;
        double binW = plotW / bins;
        for (int k = 0; k < bins; k++) {
            double x = LEFT + k * binW;
            c.fillRect(x, TOP + plotH - hs[k] / top * plotH, binW, hs[k] / top * plotH, SPOOF, 0.45);
            c.fillRect(x, TOP + plotH - hb[k] / top * plotH, binW, hb[k] / top * plotH, BONAFIDE, 0.45);
        }
        for (int k = 0; k <= 5; k++) {
            double v = min + (max - min) * k / 5;
            double x = LEFT + plotW * k / 5;
            c.line(x, TOP + plotH, x, TOP + plotH + 4, 0x000000, 1, false);
            c.text(x, TOP + plotH + 16, String.format(Locale.ROOT, "%.3g", v), 10, Canvas.Align.MIDDLE, false);
        }
        frame(c, plotW, plotH);
        double et = LEFT + (clamp(eer.threshold(), min, max) - min) / (max - min) * plotW;
        c.line(et, TOP, et, TOP + plotH, 0x333333, 1, true);
        c.text(et + 4, TOP + 14, "EER threshold", 10, Canvas.Align.START, false);
        c.fillRect(LEFT + plotW - 110, TOP + 8, 12, 12, BONAFIDE, 0.6);
        c.text(LEFT + plotW - 92, TOP + 18, "bona fide (" + bona.length + ")", 11, Canvas.Align.START, false);
        c.fillRect(LEFT + plotW - 110, TOP + 26, 12, 12, SPOOF, 0.6);
        c.text(LEFT + plotW - 92, TOP + 36, "spoof (" + spoof.length + ")", 11, Canvas.Align.START, false);
        c.text(LEFT + plotW / 2, HEIGHT - 14, "Score (higher: more likely bona fide)", 13, Canvas.Align.MIDDLE, false);
        c.text(18, TOP + plotH / 2, "Fraction of class per bin", 13, Canvas.Align.MIDDLE, true);
        c.text(LEFT + plotW / 2, 22, "Score histograms", 15, Canvas.Align.MIDDLE, false);
    }

    private static void frame(Canvas c, double plotW, double plotH) {
        c.line(LEFT, TOP, LEFT + plotW, TOP, 0x000000, 1, false);
        c.line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, 0x000000, 1, false);
        c.line(LEFT, TOP, LEFT, TOP + plotH, 0x000000, 1, false);
        c.line(LEFT + plotW, TOP, LEFT + plotW, TOP + plotH, 0x000000, 1, false);
    }

    /** Per-bin fraction of the class, so classes of different sizes compare. */
    private static double[] density(double[] values, double min, double width, int bins) {
        double[] h = new double[bins];
        for (double v : values) {
            h[Math.min(bins - 1, (int) ((v - min) / width))] += 1.0 / values.length;
        }
        return h;
    }

    private static String percent(double p) {
        double v = 100 * p;
        return v < 1 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.0f", v);
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static double min(double[] a) {
        double m = Double.POSITIVE_INFINITY;
        for (double v : a) {
            m = Math.min(m, v);
        }
        return m;
    }

    private static double max(double[] a) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : a) {
            m = Math.max(m, v);
        }
        return m;
    }
}
