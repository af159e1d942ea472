package org.sdd4j.corpus;

/**
 * The statistics a shortcut detector would use: bandwidth and silence, nothing about synthesis.
 * {@link #of} returns, in order: 95 % and 99 % spectral roll-off (Hz), leading and trailing silence
 * share, active RMS (dBFS) and noise floor (10th-percentile frame energy, dBFS).
 */
public final class ShortcutFeatures {
    /** Names of the features, in order. */
    public static final String[] NAMES = {"rolloff95_hz", "rolloff99_hz", "lead_silence", "trail_silence", "rms_db", "floor_db"};
    private static final int FFT = 512;

    private ShortcutFeatures() {
    }

    /** The features of a clip at {@code sampleRate}. */
    public static double[] of(float[] x, int sampleRate) {
        double[] power = averagePowerSpectrum(x);
        double total = 0;
        for (double p : power) {
            total += p;
        }
        double r95 = rolloff(power, total, 0.95, sampleRate);
        double r99 = rolloff(power, total, 0.99, sampleRate);
        double[] db = Conditioning.frameEnergiesDb(x);
        double peak = Double.NEGATIVE_INFINITY;
        for (double d : db) {
            peak = Math.max(peak, d);
        }
        double threshold = peak - Conditioning.SILENCE_BELOW_PEAK_DB;
        int lead = 0;
        while (lead < db.length && db[lead] <= threshold) {
            lead++;
        }
        int trail = 0;
        while (trail < db.length - lead && db[db.length - 1 - trail] <= threshold) {
            trail++;
        }
        double[] sorted = db.clone();
        java.util.Arrays.sort(sorted);
        double floor = sorted[(int) (0.1 * (sorted.length - 1))];
        return new double[] {r95, r99, lead / (double) db.length, trail / (double) db.length, Conditioning.activeRmsDb(x), floor};
    }

    private static double rolloff(double[] power, double total, double share, int sampleRate) {
        double acc = 0;
        for (int k = 0; k < power.length; k++) {
            acc += power[k];
            if (acc >= share * total) {
                return k * (double) sampleRate / FFT;
            }
        }
        return sampleRate / 2.0;
    }

    /** Mean Hann-windowed power spectrum over half-overlapping {@value #FFT}-sample frames. */
    static double[] averagePowerSpectrum(float[] x) {
        double[] acc = new double[FFT / 2 + 1];
        double[] re = new double[FFT];
        double[] im = new double[FFT];
        int frames = 0;
        for (int start = 0; start == 0 || start + FFT <= x.length; start += FFT / 2) {
            for (int i = 0; i < FFT; i++) {
                double w = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / FFT);
                re[i] = start + i < x.length ? x[start + i] * w : 0;
                im[i] = 0;
            }
            fft(re, im);
            for (int k = 0; k <= FFT / 2; k++) {
                acc[k] += re[k] * re[k] + im[k] * im[k];
            }
            frames++;
        }
        for (int k = 0; k < acc.length; k++) {
            acc[k] /= frames;
        }
        return acc;
    }

    /** In-place iterative radix-2 FFT. */
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
