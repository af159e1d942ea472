package org.sdd4j.corpus;

/**
 * The short-time spectra the corpus needs: a radix-2 FFT, the long-term average power spectrum, and
 * a zero-phase filter with a per-bin gain applied by weighted overlap-add. {@value #SIZE}-point
 * frames at 16 kHz resolve 31 Hz, plenty for bandwidth and spectral tilt.
 */
final class Spectrum {
    /** FFT size in samples. */
    static final int SIZE = 512;
    /** Number of non-negative frequency bins. */
    static final int BINS = SIZE / 2 + 1;

    private Spectrum() {
    }

    /** Mean Hann-windowed power spectrum over half-overlapping frames ({@link #BINS} values). */
    static double[] averagePower(float[] x) {
        double[] acc = new double[BINS];
        double[] re = new double[SIZE];
        double[] im = new double[SIZE];
        int frames = 0;
        for (int start = 0; start == 0 || start + SIZE <= x.length; start += SIZE / 2) {
            for (int i = 0; i < SIZE; i++) {
                double w = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / SIZE);
                re[i] = start + i < x.length ? x[start + i] * w : 0;
                im[i] = 0;
            }
            fft(re, im);
            for (int k = 0; k < BINS; k++) {
                acc[k] += re[k] * re[k] + im[k] * im[k];
            }
            frames++;
        }
        for (int k = 0; k < BINS; k++) {
            acc[k] /= frames;
        }
        return acc;
    }

    /**
     * Filters {@code x} with the real, zero-phase gain {@code gain[k]} (linear amplitude, one per bin):
     * square-root Hann analysis and synthesis windows at 50 % overlap sum to one, so a flat gain of 1
     * returns the input. The gain must be smooth across bins (a short impulse response), else the
     * circular convolution of each frame wraps audibly.
     */
    static float[] filter(float[] x, double[] gain) {
        if (gain.length != BINS) {
            throw new IllegalArgumentException("need " + BINS + " gains, got " + gain.length);
        }
        int hop = SIZE / 2;
        // half a frame of zeros in front and at least that behind, so two frames cover every sample
        double[] padded = new double[((x.length + hop - 1) / hop + 3) * hop];
        for (int i = 0; i < x.length; i++) {
            padded[hop + i] = x[i];
        }
        double[] out = new double[padded.length];
        double[] window = new double[SIZE];
        for (int i = 0; i < SIZE; i++) {
            window[i] = Math.sqrt(0.5 - 0.5 * Math.cos(2 * Math.PI * i / SIZE));
        }
        double[] re = new double[SIZE];
        double[] im = new double[SIZE];
        for (int start = 0; start + SIZE <= padded.length; start += hop) {
            for (int i = 0; i < SIZE; i++) {
                re[i] = padded[start + i] * window[i];
                im[i] = 0;
            }
            fft(re, im);
            for (int k = 0; k < SIZE; k++) {
                double g = gain[k < BINS ? k : SIZE - k];
                re[k] *= g;
                // conjugate for the inverse transform: ifft(X) = conj(fft(conj(X))) / N
                im[k] = -im[k] * g;
            }
            fft(re, im);
            for (int i = 0; i < SIZE; i++) {
                out[start + i] += re[i] / SIZE * window[i];
            }
        }
        float[] y = new float[x.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) out[hop + i];
        }
        return y;
    }

    /** In-place iterative radix-2 FFT of a power-of-two length. */
    static void fft(double[] re, double[] im) {
        int n = re.length;
        for (int i = 1, j = 0; i < n; i++) {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) {
                j ^= bit;
            }
            j ^= bit;
            if (i < j) {
                double t = re[i];
                re[i] = re[j];
                re[j] = t;
                t = im[i];
                im[i] = im[j];
                im[j] = t;
            }
        }
        for (int len = 2; len <= n; len <<= 1) {
            double ang = -2 * Math.PI / len;
            for (int i = 0; i < n; i += len) {
                for (int k = 0; k < len / 2; k++) {
                    double wr = Math.cos(ang * k);
                    double wi = Math.sin(ang * k);
                    int a = i + k;
                    int b = a + len / 2;
                    double xr = re[b] * wr - im[b] * wi;
                    double xi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - xr;
                    im[b] = im[a] - xi;
                    re[a] += xr;
                    im[a] += xi;
                }
            }
        }
    }
}
