package org.sdd4j.corpus;

import java.util.random.RandomGenerator;

/**
 * The signal operations of the shortcut counter-measures: silence trimming and padding, length
 * matching, spectral equalisation, loudness normalisation, band-limiting and a noise floor. All work
 * on mono float samples in [-1, 1] and return new arrays.
 */
public final class Conditioning {
    /** Analysis frame for energy decisions: 20 ms at 16 kHz. */
    static final int FRAME = 320;
    /** Frames this far below the loudest frame count as silence. */
    public static final double SILENCE_BELOW_PEAK_DB = 40.0;
    /** The frequency above which {@link #equalise}'s reference spectrum falls by the drawn tilt. */
    public static final double TILT_PIVOT_HZ = 500;

    private Conditioning() {
    }

    /** Mean-square energy of each {@link #FRAME}-sample frame, in dB (floored at -150 dB). */
    static double[] frameEnergiesDb(float[] x) {
        int frames = Math.max(1, (x.length + FRAME - 1) / FRAME);
        double[] db = new double[frames];
        for (int f = 0; f < frames; f++) {
            int from = f * FRAME;
            int to = Math.min(x.length, from + FRAME);
            double sum = 0;
            for (int i = from; i < to; i++) {
                sum += (double) x[i] * x[i];
            }
            db[f] = 10 * Math.log10(Math.max(sum / Math.max(1, to - from), 1e-15));
        }
        return db;
    }

    /**
     * Cuts leading and trailing silence (frames more than {@value #SILENCE_BELOW_PEAK_DB} dB below the
     * loudest frame), keeping {@code marginSamples} of context on each side so speech onsets are intact.
     * Returns the input unchanged when it is silent throughout.
     */
    public static float[] trimSilence(float[] x, int marginSamples) {
        double[] db = frameEnergiesDb(x);
        double peak = Double.NEGATIVE_INFINITY;
        for (double d : db) {
            peak = Math.max(peak, d);
        }
        double threshold = peak - SILENCE_BELOW_PEAK_DB;
        int first = -1;
        int last = -1;
        for (int f = 0; f < db.length; f++) {
            if (db[f] > threshold && peak > -120) {
                if (first < 0) {
                    first = f;
                }
                last = f;
            }
        }
        if (first < 0) {
            return x.clone();
        }
        int from = Math.max(0, first * FRAME - marginSamples);
        int to = Math.min(x.length, (last + 1) * FRAME + marginSamples);
        float[] out = new float[to - from];
        System.arraycopy(x, from, out, 0, out.length);
        return out;
    }

    /**
     * RMS over the active frames (those within {@value #SILENCE_BELOW_PEAK_DB} dB of the loudest), in
     * dBFS; measuring only speech keeps the level independent of how much pause a clip has.
     */
    public static double activeRmsDb(float[] x) {
        double[] db = frameEnergiesDb(x);
        double peak = Double.NEGATIVE_INFINITY;
        for (double d : db) {
            peak = Math.max(peak, d);
        }
        double sum = 0;
        int n = 0;
        for (double d : db) {
            if (d > peak - SILENCE_BELOW_PEAK_DB) {
                sum += Math.pow(10, d / 10);
                n++;
            }
        }
        return n == 0 ? -150 : 10 * Math.log10(sum / n);
    }

    /**
     * Scales to an active RMS of {@code targetDb} dBFS, then lowers the gain if needed so the peak stays
     * below 0.99 (no clipping, which would itself be a tell).
     */
    public static float[] normaliseLoudness(float[] x, double targetDb) {
        double gain = Math.pow(10, (targetDb - activeRmsDb(x)) / 20);
        double peak = 0;
        for (float v : x) {
            peak = Math.max(peak, Math.abs(v));
        }
        if (peak * gain > 0.99) {
            gain = 0.99 / peak;
        }
        return scaled(x, gain);
    }

    /** Adds white Gaussian noise at {@code levelDb} dBFS RMS. */
    public static float[] addNoise(float[] x, double levelDb, RandomGenerator rng) {
        double sigma = Math.pow(10, levelDb / 20);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (x[i] + sigma * rng.nextGaussian());
        }
        return out;
    }

    /**
     * A Butterworth low-pass (4th order, two biquads) at {@code lowPassHz} and high-pass (2nd order) at
     * {@code highPassHz}; a cutoff at or above the Nyquist frequency, or at or below 0, is skipped.
     */
    public static float[] bandLimit(float[] x, int sampleRate, double lowPassHz, double highPassHz) {
        float[] y = x.clone();
        double nyquist = sampleRate / 2.0;
        if (lowPassHz > 0 && lowPassHz < nyquist * 0.98) {
            // Q values of the two sections of a 4th-order Butterworth
            biquad(y, sampleRate, lowPassHz, 0.5411961, true);
            biquad(y, sampleRate, lowPassHz, 1.3065630, true);
        }
        if (highPassHz > 0 && highPassHz < nyquist) {
            biquad(y, sampleRate, highPassHz, Math.sqrt(0.5), false);
        }
        return y;
    }

    /** One RBJ-cookbook biquad section, in place (transposed direct form II, double state). */
    private static void biquad(float[] y, int rate, double f0, double q, boolean lowPass) {
        double w0 = 2 * Math.PI * f0 / rate;
        double cos = Math.cos(w0);
        double alpha = Math.sin(w0) / (2 * q);
        double b0 = lowPass ? (1 - cos) / 2 : (1 + cos) / 2;
        double b1 = lowPass ? 1 - cos : -(1 + cos);
        double b2 = b0;
        double a0 = 1 + alpha;
        double a1 = -2 * cos;
        double a2 = 1 - alpha;
        b0 /= a0;
        b1 /= a0;
        b2 /= a0;
        a1 /= a0;
        a2 /= a0;
        double s1 = 0;
        double s2 = 0;
        for (int i = 0; i < y.length; i++) {
            double in = y[i];
            double out = b0 * in + s1;
            s1 = b1 * in - a1 * out + s2;
            s2 = b2 * in - a2 * out;
            y[i] = (float) out;
        }
    }

    /**
     * Surrounds {@code x} with {@code lead} and {@code trail} samples of digital silence (the noise floor
     * stage fills them). After a full trim this makes the silence around speech a draw from one shared
     * distribution, instead of whatever each source or engine happened to leave: the engines start
     * speaking at the first sample and stop with long tails, telephone prompts are cut tight.
     */
    public static float[] pad(float[] x, int lead, int trail) {
        if (lead < 0 || trail < 0) {
            throw new IllegalArgumentException("padding must not be negative, got " + lead + " and " + trail);
        }
        float[] out = new float[lead + x.length + trail];
        System.arraycopy(x, 0, out, lead, x.length);
        return out;
    }

    /**
     * Shortens {@code x} to about {@code targetSamples} by cutting in the quietest {@link #FRAME} within
     * 15 % of the target, so that a long synthetic utterance ends in a pause rather than mid-word where
     * it can; audio no longer than 1.15 x the target is returned whole. Used to give spoofs the bona fide
     * length distribution (synthesised sentences run longer than the recorded prompts).
     */
    public static float[] cutAtPause(float[] x, int targetSamples) {
        if (targetSamples <= 0) {
            throw new IllegalArgumentException("target length must be positive, got " + targetSamples);
        }
        if (x.length <= targetSamples * 1.15) {
            return x.clone();
        }
        double[] db = frameEnergiesDb(x);
        int from = Math.max(1, (int) (targetSamples * 0.85) / FRAME);
        int to = Math.min(db.length - 1, (int) (targetSamples * 1.15) / FRAME);
        int quietest = from;
        for (int f = from; f <= to; f++) {
            if (db[f] < db[quietest]) {
                quietest = f;
            }
        }
        int cut = quietest * FRAME + FRAME / 2;
        float[] out = new float[cut];
        System.arraycopy(x, 0, out, 0, cut);
        return out;
    }

    /**
     * Equalises the long-term spectrum to a reference that is flat up to {@value #TILT_PIVOT_HZ} Hz and
     * falls by {@code tiltDbPerOctave} per octave above it. The formant engines are brighter than
     * recorded voices and each recording chain has its own colour; drawing the tilt for every clip of
     * both classes from one distribution leaves spectral balance (and so roll-off) no class tell. The
     * correction is smoothed over ~280 Hz, anchored to leave the 300-3400 Hz band's median level
     * unchanged, and limited to {@code maxGainDb} either way so empty bands are not blown up.
     */
    public static float[] equalise(float[] x, int sampleRate, double tiltDbPerOctave, double maxGainDb) {
        double[] power = Spectrum.averagePower(x);
        int bins = power.length;
        double[] own = new double[bins];
        int half = 4;
        for (int k = 0; k < bins; k++) {
            double sum = 0;
            int n = 0;
            for (int j = Math.max(0, k - half); j <= Math.min(bins - 1, k + half); j++) {
                sum += power[j];
                n++;
            }
            own[k] = 10 * Math.log10(Math.max(sum / n, 1e-20));
        }
        double[] wantDb = new double[bins];
        double hzPerBin = sampleRate / (double) Spectrum.SIZE;
        for (int k = 0; k < bins; k++) {
            double hz = Math.max(k * hzPerBin, 1);
            double reference = hz <= TILT_PIVOT_HZ ? 0 : -tiltDbPerOctave * Math.log(hz / TILT_PIVOT_HZ) / Math.log(2);
            wantDb[k] = reference - own[k];
        }
        int lo = (int) Math.ceil(300 / hzPerBin);
        int hi = Math.min(bins - 1, (int) Math.floor(3400 / hzPerBin));
        double[] band = java.util.Arrays.copyOfRange(wantDb, lo, hi + 1);
        java.util.Arrays.sort(band);
        double anchor = band[band.length / 2];
        double[] gain = new double[bins];
        for (int k = 0; k < bins; k++) {
            gain[k] = Math.pow(10, Math.clamp(wantDb[k] - anchor, -maxGainDb, maxGainDb) / 20);
        }
        return Spectrum.filter(x, gain);
    }

    /** Scales so the peak is at most {@code limit}; a codec round trip can overshoot. */
    public static float[] limitPeak(float[] x, double limit) {
        double peak = 0;
        for (float v : x) {
            peak = Math.max(peak, Math.abs(v));
        }
        return peak > limit ? scaled(x, limit / peak) : x;
    }

    private static float[] scaled(float[] x, double gain) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (x[i] * gain);
        }
        return out;
    }
}
