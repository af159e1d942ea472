package org.sdd4j.corpus;

/**
 * Plain L2-regularised logistic regression on standardised features, fitted by full-batch gradient
 * descent: small enough to read, and strong enough to find a bandwidth or silence shortcut.
 */
public final class LogisticRegression {
    private final double[] mean;
    private final double[] scale;
    private final double[] weights;
    private final double bias;

    private LogisticRegression(double[] mean, double[] scale, double[] weights, double bias) {
        this.mean = mean;
        this.scale = scale;
        this.weights = weights;
        this.bias = bias;
    }

    /**
     * Fits {@code P(y = 1 | x)} on rows {@code x} with labels {@code y} (0 or 1), classes weighted to
     * equal total weight so an imbalanced corpus does not just learn the prior.
     */
    public static LogisticRegression fit(double[][] x, int[] y, double l2, int iterations, double learningRate) {
        if (x.length == 0 || x.length != y.length) {
            throw new IllegalArgumentException("need as many labels as rows, and at least one row");
        }
        int d = x[0].length;
        double[] mean = new double[d];
        double[] scale = new double[d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j] / x.length;
            }
        }
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]) / x.length;
            }
        }
        for (int j = 0; j < d; j++) {
            scale[j] = scale[j] > 1e-24 ? Math.sqrt(scale[j]) : 1;
        }
        int positives = 0;
        for (int v : y) {
            positives += v;
        }
        double wPos = positives == 0 ? 0 : 0.5 / positives;
        double wNeg = positives == x.length ? 0 : 0.5 / (x.length - positives);
        double[] w = new double[d];
        double b = 0;
        double[] z = new double[d];
        for (int it = 0; it < iterations; it++) {
            double[] gw = new double[d];
            double gb = 0;
            for (int i = 0; i < x.length; i++) {
                for (int j = 0; j < d; j++) {
                    z[j] = (x[i][j] - mean[j]) / scale[j];
                }
                double p = sigmoid(dot(w, z) + b);
                double weight = y[i] == 1 ? wPos : wNeg;
                double g = (p - y[i]) * weight;
                for (int j = 0; j < d; j++) {
                    gw[j] += g * z[j];
                }
                gb += g;
            }
            for (int j = 0; j < d; j++) {
                w[j] -= learningRate * (gw[j] + l2 * w[j]);
            }
            b -= learningRate * gb;
        }
        return new LogisticRegression(mean, scale, w, b);
    }

    /** The logit of class 1 for one row. */
    public double logit(double[] row) {
        double s = bias;
        for (int j = 0; j < weights.length; j++) {
            s += weights[j] * (row[j] - mean[j]) / scale[j];
        }
        return s;
    }

    /** Weights on the standardised features (for reports: which statistic carries the signal). */
    public double[] standardisedWeights() {
        return weights.clone();
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }
}
