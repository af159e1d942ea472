package org.sdd4j.augment;

/**
 * The FIR pieces RawBoost uses from scipy.signal, reproduced exactly: {@code firwin} (windowed sinc,
 * symmetric Hamming window, {@code scale=True}), the maximum of {@code freqz}'s default 512-point
 * magnitude response, and the centred {@code lfilter} of the reference's {@code filterFIR}.
 */
final class FirDesign {
    /** freqz's default number of frequencies: 512 points on [0, pi), endpoint excluded. */
    static final int FREQZ_POINTS = 512;
    private static final double[] COS = new double[2 * FREQZ_POINTS];
    private static final double[] SIN = new double[2 * FREQZ_POINTS];

    static {
        for (int m = 0; m < COS.length; m++) {
            double w = Math.PI * m / FREQZ_POINTS;
            COS[m] = Math.cos(w);
            SIN[m] = Math.sin(w);
        }
    }

    private FirDesign() {
    }

    /**
     * scipy.signal.firwin(numTaps, cutoffHz, window='hamming', pass_zero=passZero, scale=True, fs=fs).
     * The cut-offs split [0, fs/2] into alternating pass and stop bands starting with a pass band when
     * {@code passZero}; so two cut-offs with {@code passZero} (scipy's default, and RawBoost's call) give
     * a band-<em>stop</em> (notch) filter. The response is scaled to unit gain at the centre of the
     * first pass band (DC here), as scipy does.
     *
     * @throws IllegalArgumentException where scipy raises ValueError: cut-offs not strictly increasing
     *                                  inside (0, fs/2), or an even length with a pass band at Nyquist
     */
    static double[] firwin(int numTaps, double[] cutoffHz, boolean passZero, double fs) {
        if (numTaps < 1) {
            throw new IllegalArgumentException("numTaps must be at least 1, was " + numTaps);
        }
        double nyq = 0.5 * fs;
        double[] cutoff = new double[cutoffHz.length];
        for (int i = 0; i < cutoff.length; i++) {
            cutoff[i] = cutoffHz[i] / nyq;
            if (!(cutoff[i] > 0 && cutoff[i] < 1)) {
                throw new IllegalArgumentException("cut-off " + cutoffHz[i] + " Hz must lie strictly between 0 and "
                        + nyq + " Hz (fs/2)");
            }
            if (i > 0 && !(cutoff[i] > cutoff[i - 1])) {
                throw new IllegalArgumentException("cut-offs must be strictly increasing: " + java.util.Arrays.toString(cutoffHz));
            }
        }
        boolean passNyquist = ((cutoff.length & 1) == 1) ^ passZero;
        if (passNyquist && numTaps % 2 == 0) {
            throw new IllegalArgumentException("a filter with a pass band at fs/2 must have an odd number of taps, was "
                    + numTaps);
        }
        double[] edges = new double[cutoff.length + (passZero ? 1 : 0) + (passNyquist ? 1 : 0)];
        int at = 0;
        if (passZero) {
            edges[at++] = 0.0;
        }
        for (double c : cutoff) {
            edges[at++] = c;
        }
        if (passNyquist) {
            edges[at] = 1.0;
        }
        double alpha = 0.5 * (numTaps - 1);
        double[] h = new double[numTaps];
        for (int n = 0; n < numTaps; n++) {
            double m = n - alpha;
            double sum = 0;
            for (int band = 0; band < edges.length; band += 2) {
                sum += edges[band + 1] * sinc(edges[band + 1] * m);
                sum -= edges[band] * sinc(edges[band] * m);
            }
            h[n] = sum;
        }
        double[] window = hamming(numTaps);
        for (int n = 0; n < numTaps; n++) {
            h[n] *= window[n];
        }
        double left = edges[0];
        double right = edges[1];
        double scaleFrequency = left == 0 ? 0.0 : right == 1 ? 1.0 : 0.5 * (left + right);
        double s = 0;
        for (int n = 0; n < numTaps; n++) {
            s += h[n] * Math.cos(Math.PI * (n - alpha) * scaleFrequency);
        }
        for (int n = 0; n < numTaps; n++) {
            h[n] /= s;
        }
        return h;
    }

    /** numpy.sinc: sin(pi x) / (pi x), 1 at 0. */
    static double sinc(double x) {
        if (x == 0) {
            return 1.0;
        }
        double y = Math.PI * x;
        return Math.sin(y) / y;
    }

    /** The symmetric Hamming window (scipy get_window('hamming', n, fftbins=False)). */
    static double[] hamming(int n) {
        double[] w = new double[n];
        if (n == 1) {
            w[0] = 1.0;
            return w;
        }
        for (int i = 0; i < n; i++) {
            w[i] = 0.54 - 0.46 * Math.cos(2 * Math.PI * i / (n - 1));
        }
        return w;
    }

    /** numpy.convolve(a, b) (mode 'full'). */
    static double[] convolve(double[] a, double[] b) {
        double[] out = new double[a.length + b.length - 1];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                out[i + j] += a[i] * b[j];
            }
        }
        return out;
    }

    /**
     * max |H(w)| over scipy.signal.freqz(b, 1)'s default frequencies w = pi k / 512, k = 0..511 (the
     * endpoint pi is not among them, which matters for filters that pass Nyquist).
     */
    static double maxMagnitude(double[] b) {
        double max = 0;
        int mask = COS.length - 1;
        for (int k = 0; k < FREQZ_POINTS; k++) {
            double re = 0;
            double im = 0;
            for (int n = 0; n < b.length; n++) {
                int idx = (int) (((long) k * n) & mask);
                re += b[n] * COS[idx];
                im -= b[n] * SIN[idx];
            }
            max = Math.max(max, Math.hypot(re, im));
        }
        return max;
    }

    /**
     * The reference's filterFIR: x zero-padded by N = len(b) + 1 at the end, filtered causally by b
     * (lfilter(b, 1, .)), and cut to [N/2, len - N/2) (both truncated), which keeps len(x) samples and
     * roughly compensates the linear-phase delay of (len(b) - 1) / 2.
     */
    static double[] filterCentred(double[] x, double[] b) {
        int n = b.length + 1;
        int start = n / 2;
        double[] y = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            int t = j + start; // index into the full causal output
            int kFrom = Math.max(0, t - (x.length - 1));
            int kTo = Math.min(b.length - 1, t);
            double acc = 0;
            for (int k = kFrom; k <= kTo; k++) {
                acc += b[k] * x[t - k];
            }
            y[j] = acc;
        }
        return y;
    }
}
