package org.sdd4j.metrics;

import java.util.Locale;

/** A {@link Canvas} that writes an SVG document. */
final class SvgCanvas implements Canvas {
    private final StringBuilder svg = new StringBuilder();

    SvgCanvas(int width, int height) {
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n",
                width, height, width, height));
    }

    @Override
    public void line(double x1, double y1, double x2, double y2, int rgb, double width, boolean dashed) {
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"%.2f\"%s/>%n",
                x1, y1, x2, y2, colour(rgb), width, dashed ? " stroke-dasharray=\"4 3\"" : ""));
    }

    @Override
    public void polyline(double[] xs, double[] ys, int rgb, double width) {
        svg.append("<polyline fill=\"none\" stroke=\"").append(colour(rgb)).append("\" stroke-width=\"")
                .append(String.format(Locale.ROOT, "%.2f", width)).append("\" points=\"");
        for (int i = 0; i < xs.length; i++) {
            svg.append(String.format(Locale.ROOT, "%.2f,%.2f ", xs[i], ys[i]));
        }
        svg.append("\"/>\n");
    }

    @Override
    public void fillRect(double x, double y, double w, double h, int rgb, double opacity) {
        svg.append(String.format(Locale.ROOT, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" fill-opacity=\"%.2f\"/>%n",
                x, y, w, h, colour(rgb), opacity));
    }

    @Override
    public void text(double x, double y, String text, int size, Align align, boolean vertical) {
        String anchor = switch (align) {
            case START -> "start";
            case MIDDLE -> "middle";
            case END -> "end";
        };
        String rotate = vertical ? String.format(Locale.ROOT, " transform=\"rotate(-90 %.2f %.2f)\"", x, y) : "";
        svg.append(String.format(Locale.ROOT, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%d\" text-anchor=\"%s\"%s>%s</text>%n",
                x, y, size, anchor, rotate, escape(text)));
    }

    String finish() {
        return svg + "</svg>\n";
    }

    private static String colour(int rgb) {
        return String.format("#%06x", rgb & 0xffffff);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
