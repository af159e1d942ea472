package org.sdd4j.drift;

/**
 * Linear centred kernel alignment (Kornblith et al., ICML 2019) between two representations of the same
 * examples: with the columns of X ({@code n x p}) and Y ({@code n x q}) centred,
 * {@code CKA = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)}. It is 1 for identical representations, and
 * invariant to orthogonal transforms and isotropic scaling of either, so it tells whether two layers
 * encode the same thing even when one is a rotated or rescaled copy of the other.
 *
 * <p>Computed through the n x n Gram matrices ({@code ||Y^T X||_F^2 = <XX^T, YY^T>},
 * {@code ||X^T X||_F = ||XX^T||_F}): probe sets are small next to layer widths.
 */
public final class LinearCka {
    private LinearCka() {
    }

    /**
     * @param x one row per example
     * @param y one row per example, the same examples in the same order (widths may differ)
     * @return CKA in [0, 1], or NaN when it is undefined: fewer than two examples, or a representation that
     *         is the same for every example (nothing left after centring)
     * @throws IllegalArgumentException when the row counts differ or rows of one matrix differ in length
     */
    public static double of(double[][] x, double[][] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("CKA needs the same examples on both sides: " + x.length + " rows against "
                    + y.length);
        }
        double[][] kx = centredGram(x);
        double[][] ky = centredGram(y);
        double cross = 0, xx = 0, yy = 0;
        for (int i = 0; i < kx.length; i++) {
            for (int j = 0; j < kx.length; j++) {
                cross += kx[i][j] * ky[i][j];
                xx += kx[i][j] * kx[i][j];
                yy += ky[i][j] * ky[i][j];
            }
        }
        if (x.length < 2 || xx == 0 || yy == 0) {
            return Double.NaN;
        }
        return cross / (Math.sqrt(xx) * Math.sqrt(yy));
    }

    /** {@code Xc Xc^T} with the columns of X centred. */
    private static double[][] centredGram(double[][] x) {
        int n = x.length;
        int p = n == 0 ? 0 : x[0].length;
        double[] mean = new double[p];
        for (double[] row : x) {
            if (row.length != p) {
                throw new IllegalArgumentException("rows of different lengths: " + p + " and " + row.length);
            }
            for (int k = 0; k < p; k++) {
                mean[k] += row[k];
            }
        }
        double[][] c = new double[n][p];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < p; k++) {
                c[i][k] = x[i][k] - mean[k] / n;
            }
        }
        double[][] gram = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int k = 0; k < p; k++) {
                    s += c[i][k] * c[j][k];
                }
                gram[i][j] = s;
                gram[j][i] = s;
            }
        }
        return gram;
    }
}
