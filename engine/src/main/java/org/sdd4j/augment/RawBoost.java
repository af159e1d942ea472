package org.sdd4j.augment;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * RawBoost data augmentation (Tak et al., ICASSP 2022), reproducing the reference RawBoost.py and
 * process_Rawboost_feature of TakHemlata/SSL_Anti-spoofing step by step: the same filter design, the
 * same order of random draws, the same normalisations.
 *
 * <p>Randomness comes only from the {@link RandomGenerator} passed in, so a fixed seed reproduces the
 * output. The random stream is Java's, not numpy's, so outputs match the reference in distribution,
 * not sample for sample. Arithmetic is in double throughout (the reference mixes float32 and float64
 * depending on the step); results are rounded to float once at the end.
 *
 * <p>Instances are immutable and may be shared between threads; the generator passed in may not.
 */
public final class RawBoost {
    private final RawBoostConfig config;
    private final int sampleRate;

    /**
     * @param sampleRate the audio's rate in Hz (16,000 for the published detectors); notch edges are
     *                   clamped to (0, sampleRate / 2) as in the reference
     */
    public RawBoost(RawBoostConfig config, int sampleRate) {
        this.config = Objects.requireNonNull(config, "config");
        if (sampleRate <= 0) {
            throw new IllegalArgumentException("sample rate must be positive, was " + sampleRate);
        }
        if (config.maxF() - config.minBW() / 2 >= sampleRate / 2.0) {
            // The reference would call firwin with a lower edge above Nyquist, which scipy rejects.
            throw new IllegalArgumentException("maxF " + config.maxF() + " Hz puts the lower edge of a notch above fs/2 = "
                    + sampleRate / 2.0 + " Hz; lower maxF for this sample rate");
        }
        this.sampleRate = sampleRate;
    }

    /** RawBoost with the reference defaults at 16 kHz. */
    public static RawBoost defaults() {
        return new RawBoost(RawBoostConfig.defaults(), 16_000);
    }

    public RawBoostConfig config() {
        return config;
    }

    public int sampleRate() {
        return sampleRate;
    }

    /** process_Rawboost_feature: applies {@code algorithm} to {@code x}; returns a new array. */
    public float[] apply(RawBoostAlgorithm algorithm, float[] x, RandomGenerator rng) {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(rng, "rng");
        double[] in = toDouble(x);
        double[] out = switch (algorithm) {
            case NONE -> in;
            case LNL -> linearNonLinearConvolutive(in, rng);
            case ISD -> impulsiveSignalDependent(in, rng);
            case SSI -> stationarySignalIndependent(in, rng);
            case LNL_ISD_SSI -> stationarySignalIndependent(
                    impulsiveSignalDependent(linearNonLinearConvolutive(in, rng), rng), rng);
            case LNL_ISD -> impulsiveSignalDependent(linearNonLinearConvolutive(in, rng), rng);
            case LNL_SSI -> stationarySignalIndependent(linearNonLinearConvolutive(in, rng), rng);
            case ISD_SSI -> stationarySignalIndependent(impulsiveSignalDependent(in, rng), rng);
            case LNL_PLUS_ISD -> {
                double[] a = linearNonLinearConvolutive(in, rng);
                double[] b = impulsiveSignalDependent(in, rng);
                for (int i = 0; i < a.length; i++) {
                    a[i] += b[i];
                }
                yield normWav(a, false);
            }
        };
        float[] result = new float[out.length];
        for (int i = 0; i < out.length; i++) {
            result[i] = (float) out[i];
        }
        return result;
    }

    /**
     * Algorithm 1, LnL_convolutive_noise: the sum over orders i = 1..N_f of x^i filtered by a fresh
     * cascade of nBands notch filters, minus its mean, peak-limited to 1. The first order uses gains in
     * [minG, maxG]; from the second order on the gain range is shifted down once by the LnL bias (so
     * the non-linear terms are quieter), exactly as the reference's {@code if i == 1} does.
     */
    public double[] linearNonLinearConvolutive(double[] x, RandomGenerator rng) {
        double[] y = new double[x.length];
        double minG = config.minG();
        double maxG = config.maxG();
        double[] power = new double[x.length];
        for (int i = 0; i < config.nF(); i++) {
            if (i == 1) {
                minG -= config.minBiasLinNonLin();
                maxG -= config.maxBiasLinNonLin();
            }
            double[] b = notchCoefficients(minG, maxG, rng);
            for (int j = 0; j < x.length; j++) {
                power[j] = Math.pow(x[j], i + 1);
            }
            double[] filtered = FirDesign.filterCentred(power, b);
            for (int j = 0; j < y.length; j++) {
                y[j] += filtered[j];
            }
        }
        double mean = 0;
        for (double v : y) {
            mean += v;
        }
        mean = y.length == 0 ? 0 : mean / y.length;
        for (int j = 0; j < y.length; j++) {
            y[j] -= mean;
        }
        return normWav(y, false);
    }

    /**
     * Algorithm 2, ISD_additive_noise: a fraction beta ~ U(0, P) percent of the samples (distinct,
     * chosen uniformly) become x (1 + g_sd (2u1 - 1)(2u2 - 1)); then peak-limited to 1.
     */
    public double[] impulsiveSignalDependent(double[] x, RandomGenerator rng) {
        double beta = uniform(rng, 0, config.p());
        double[] y = x.clone();
        int n = (int) (x.length * (beta / 100));
        int[] chosen = permutationPrefix(x.length, n, rng);
        // The reference draws all first factors, then all second factors.
        double[] u1 = new double[n];
        for (int k = 0; k < n; k++) {
            u1[k] = rng.nextDouble();
        }
        for (int k = 0; k < n; k++) {
            double fr = (2 * u1[k] - 1) * (2 * rng.nextDouble() - 1);
            int at = chosen[k];
            y[at] = x[at] + config.gSd() * x[at] * fr;
        }
        return normWav(y, false);
    }

    /**
     * Algorithm 3, SSI_additive_noise: white Gaussian noise coloured by a notch cascade (gains in
     * [minG, maxG]), normalised to peak 1, then scaled so that ||x|| / ||noise|| is an SNR ~ U(SNRmin,
     * SNRmax) dB, and added. No normalisation afterwards (the reference has none).
     */
    public double[] stationarySignalIndependent(double[] x, RandomGenerator rng) {
        double[] noise = new double[x.length];
        for (int j = 0; j < noise.length; j++) {
            noise[j] = rng.nextGaussian();
        }
        double[] b = notchCoefficients(config.minG(), config.maxG(), rng);
        noise = normWav(FirDesign.filterCentred(noise, b), true);
        double snr = uniform(rng, config.snrMin(), config.snrMax());
        double noiseNorm = norm(noise);
        double[] y = x.clone();
        if (noiseNorm == 0) {
            return y; // only for empty input; the reference would produce NaN
        }
        double scale = norm(x) / noiseNorm / Math.pow(10.0, 0.05 * snr);
        for (int j = 0; j < y.length; j++) {
            y[j] += noise[j] * scale;
        }
        return y;
    }

    /**
     * genNotchCoeffs: nBands band-stop FIR filters (firwin, Hamming, odd length in [minCoeff,
     * maxCoeff]) with random centre and width, convolved into one filter, normalised to peak magnitude
     * 1 on freqz's grid and given a gain G ~ U(minG, maxG) dB.
     */
    double[] notchCoefficients(double minG, double maxG, RandomGenerator rng) {
        double[] b = {1.0};
        double fs = sampleRate;
        for (int i = 0; i < config.nBands(); i++) {
            double fc = uniform(rng, config.minF(), config.maxF());
            double bw = uniform(rng, config.minBW(), config.maxBW());
            int c = (int) uniform(rng, config.minCoeff(), config.maxCoeff());
            if (c % 2 == 0) {
                c = c + 1;
            }
            double f1 = fc - bw / 2;
            double f2 = fc + bw / 2;
            if (f1 <= 0) {
                f1 = 1 / 1000.0;
            }
            if (f2 >= fs / 2) {
                f2 = fs / 2 - 1 / 1000.0;
            }
            b = FirDesign.convolve(FirDesign.firwin(c, new double[] {f1, f2}, true, fs), b);
        }
        double g = uniform(rng, minG, maxG);
        double scale = Math.pow(10, g / 20) / FirDesign.maxMagnitude(b);
        for (int i = 0; i < b.length; i++) {
            b[i] *= scale;
        }
        return b;
    }

    /**
     * normWav: divides by the peak magnitude, always or only when it exceeds 1. A silent signal is
     * returned unchanged (the reference divides 0 by 0).
     */
    public static double[] normWav(double[] x, boolean always) {
        double peak = 0;
        for (double v : x) {
            peak = Math.max(peak, Math.abs(v));
        }
        if (peak == 0 || !(always || peak > 1)) {
            return x;
        }
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] / peak;
        }
        return y;
    }

    /** numpy.random.uniform(low, high): low + (high - low) u, also when high < low or high == low. */
    static double uniform(RandomGenerator rng, double low, double high) {
        return low + (high - low) * rng.nextDouble();
    }

    /** The first n entries of a uniformly random permutation of 0..size-1 (partial Fisher-Yates). */
    static int[] permutationPrefix(int size, int n, RandomGenerator rng) {
        int[] idx = new int[size];
        for (int i = 0; i < size; i++) {
            idx[i] = i;
        }
        for (int i = 0; i < n; i++) {
            int j = i + rng.nextInt(size - i);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        return java.util.Arrays.copyOf(idx, n);
    }

    private static double norm(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    private static double[] toDouble(float[] x) {
        Objects.requireNonNull(x, "x");
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }
}
