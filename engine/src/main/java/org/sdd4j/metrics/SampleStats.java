package org.sdd4j.metrics;

/** Mean and unbiased standard deviation of a range of values, summed in order (so results are reproducible). */
public final class SampleStats {
    private SampleStats() {
    }

    /** Mean of {@code v[from, to)}. */
    public static double mean(double[] v, int from, int to) {
        double sum = 0;
        for (int n = from; n < to; n++) {
            sum += v[n];
        }
        return sum / (to - from);
    }

    /** Mean of all of {@code v}. */
    public static double mean(double[] v) {
        return mean(v, 0, v.length);
    }

    /** Unbiased (n - 1) standard deviation of {@code v[from, to)} about {@code mean}, as torch's {@code std()}. */
    public static double std(double[] v, int from, int to, double mean) {
        double ss = 0;
        for (int n = from; n < to; n++) {
            ss += (v[n] - mean) * (v[n] - mean);
        }
        return Math.sqrt(ss / (to - from - 1));
    }

    /** Unbiased standard deviation of all of {@code v} (NaN for fewer than two values). */
    public static double std(double[] v) {
        return std(v, 0, v.length, mean(v));
    }
}
