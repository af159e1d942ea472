package org.sdd4j.metrics;

/** The few drawing operations the plots need, so one drawing routine writes both SVG and PNG. */
interface Canvas {
    /** How text is placed horizontally on its anchor point. */
    enum Align { START, MIDDLE, END }

    void line(double x1, double y1, double x2, double y2, int rgb, double width, boolean dashed);

    void polyline(double[] xs, double[] ys, int rgb, double width);

    void fillRect(double x, double y, double w, double h, int rgb, double opacity);

    void text(double x, double y, String text, int size, Align align, boolean vertical);
}
