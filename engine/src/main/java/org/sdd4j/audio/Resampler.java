package org.sdd4j.audio;

/**
 * Band-limited rational resampling with a polyphase Kaiser-windowed-sinc filter.
 *
 * <p>For rates {@code from -> to}, with {@code up/down = to/from} in lowest terms, the result is
 * {@code y[m] = sum_n x[n] h[m*down - n*up + half]}: the signal is conceptually zero-stuffed by
 * {@code up}, low-pass filtered by the odd-length, zero-phase FIR {@code h} (gain {@code up}) and
 * decimated by {@code down}, with {@code ceil(len*up/down)} output samples and zeros outside the input.
 * That is exactly {@code scipy.signal.resample_poly(x, up, down, window=h/up)}, which the tests use as
 * the reference.
 *
 * <p>Filter specification, relative to the lower Nyquist frequency {@code fN = min(from, to)/2}:
 * <ul>
 *   <li>pass band 0 .. 0.90 fN, ripple below 0.001 dB;</li>
 *   <li>cut-off (-6 dB) at 0.95 fN;</li>
 *   <li>stop band from fN on, attenuated by at least {@value #STOPBAND_DB} dB, so nothing aliases
 *       into the output band above that level.</li>
 * </ul>
 * Kaiser's formulas give {@code beta = 0.1102 (A - 8.7)} and length
 * {@code N - 1 = (A - 7.95) / (2.285 dw)} for transition width {@code dw} (rad/sample at the
 * up-sampled rate). For 48 kHz -> 16 kHz this is 345 taps per output sample, for 44.1 kHz -> 16 kHz 316.
 *
 * <p>The filter is stored as {@code up} polyphase rows of contiguous, time-reversed taps, so each output
 * is one dot product with a contiguous window of the input; no trigonometry is done per sample.
 * Instances are immutable and thread-safe; build one per rate pair and reuse it.
 */
public final class Resampler {
    /** Stop-band attenuation in dB. */
    public static final double STOPBAND_DB = 90.0;
    /** Pass-band edge as a fraction of the lower Nyquist frequency. */
    public static final double PASSBAND_EDGE = 0.90;
    /** Cut-off (-6 dB) as a fraction of the lower Nyquist frequency; the stop band starts at 1.0. */
    public static final double CUTOFF = (PASSBAND_EDGE + 1.0) / 2;

    private final int fromRate;
    private final int toRate;
    private final int up;
    private final int down;
    private final int half;
    /** Taps per polyphase row. */
    private final int width;
    /** phases[p][width - 1 - j] = h[p + j*up]: row p applied to x[n0 - width + 1 .. n0]. */
    private final float[][] phases;

    private Resampler(int fromRate, int toRate) {
        if (fromRate <= 0 || toRate <= 0) {
            throw new IllegalArgumentException("sample rates must be positive: " + fromRate + " -> " + toRate);
        }
        this.fromRate = fromRate;
        this.toRate = toRate;
        int g = gcd(fromRate, toRate);
        this.up = toRate / g;
        this.down = fromRate / g;
        double[] h = design(up, down);
        this.half = (h.length - 1) / 2;
        this.width = (h.length + up - 1) / up;
        this.phases = new float[up][width];
        for (int p = 0; p < up; p++) {
            for (int j = 0; p + j * up < h.length; j++) {
                phases[p][width - 1 - j] = (float) h[p + j * up];
            }
        }
    }

    /** A resampler from {@code fromRate} to {@code toRate} Hz. */
    public static Resampler of(int fromRate, int toRate) {
        return new Resampler(fromRate, toRate);
    }

    /** The clip at {@code toRate}; the clip itself if it already has that rate. */
    public static AudioClip resample(AudioClip clip, int toRate) {
        if (clip.sampleRate() == toRate) {
            return clip;
        }
        return new AudioClip(of(clip.sampleRate(), toRate).process(clip.samples()), toRate, clip.source());
    }

    /**
     * The low-pass prototype at the up-sampled rate, with DC gain {@code up} (firwin-style: the
     * windowed sinc is normalised to unit sum, then scaled by up). Package-visible for tests.
     */
    static double[] design(int up, int down) {
        double lowerNyquist = 1.0 / Math.max(up, down); // as a fraction of the up-sampled Nyquist
        double cutoff = CUTOFF * lowerNyquist;
        double transition = (1.0 - PASSBAND_EDGE) * lowerNyquist * Math.PI; // rad/sample
        int half = (int) Math.ceil((STOPBAND_DB - 7.95) / (2.285 * transition) / 2);
        double beta = 0.1102 * (STOPBAND_DB - 8.7);
        int n = 2 * half + 1;
        double[] h = new double[n];
        double i0Beta = besselI0(beta);
        double sum = 0;
        for (int k = 0; k < n; k++) {
            double t = k - half;
            double ratio = t / half;
            double window = besselI0(beta * Math.sqrt(Math.max(0, 1 - ratio * ratio))) / i0Beta;
            h[k] = cutoff * sinc(cutoff * t) * window;
            sum += h[k];
        }
        for (int k = 0; k < n; k++) {
            h[k] *= up / sum;
        }
        return h;
    }

    private static double sinc(double x) {
        if (x == 0) {
            return 1;
        }
        double px = Math.PI * x;
        return Math.sin(px) / px;
    }

    /** Modified Bessel function of the first kind, order 0, by its power series (converges for all x). */
    static double besselI0(double x) {
        double term = 1;
        double sum = 1;
        double q = x * x / 4;
        for (int k = 1; k < 500 && term > 1e-17 * sum; k++) {
            term *= q / ((double) k * k);
            sum += term;
        }
        return sum;
    }

    /** Number of output samples for {@code inputLength} input samples: ceil(len * up / down). */
    public int outputLength(int inputLength) {
        long n = ((long) inputLength * up + down - 1) / down;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("resampled length " + n + " does not fit an array");
        }
        return (int) n;
    }

    /** Resamples a whole signal (zeros assumed before and after it). */
    public float[] process(float[] x) {
        int outLen = outputLength(x.length);
        // Zero padding on both sides so that every dot product reads a full window without bounds checks.
        int pad = width;
        float[] xp = new float[x.length + 2 * pad + 1];
        System.arraycopy(x, 0, xp, pad, x.length);
        float[] y = new float[outLen];
        long t = half; // index into the up-sampled, filtered signal for output 0
        for (int m = 0; m < outLen; m++, t += down) {
            int phase = (int) (t % up);
            long newest = t / up; // the newest input sample that reaches this output
            int start = (int) (newest - width + 1 + pad);
            y[m] = dot(phases[phase], xp, start); // 1 <= start and newest <= len + width: inside xp
        }
        return y;
    }

    private static float dot(float[] taps, float[] x, int start) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int n = taps.length;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += taps[i] * x[start + i];
            s1 += taps[i + 1] * x[start + i + 1];
            s2 += taps[i + 2] * x[start + i + 2];
            s3 += taps[i + 3] * x[start + i + 3];
        }
        for (; i < n; i++) {
            s0 += taps[i] * x[start + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    public int fromRate() {
        return fromRate;
    }

    public int toRate() {
        return toRate;
    }

    /** Filter taps per output sample (the cost of one output in multiply-adds). */
    public int tapsPerOutput() {
        return width;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
