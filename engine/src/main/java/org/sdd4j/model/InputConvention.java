package org.sdd4j.model;

/**
 * The input convention of a model family (DESIGN.md 3.1).
 *
 * @param fixedLength samples per input (64,600 for AASIST-style models), or 0 for whole utterances
 * @param utteranceNorm whether the waveform is layer-normalised over the whole utterance first
 */
public record InputConvention(int fixedLength, boolean utteranceNorm) {
    public static final int AASIST_SAMPLES = 64_600;
    public static final InputConvention FIXED_64600 = new InputConvention(AASIST_SAMPLES, false);
    public static final InputConvention WHOLE_NORMALISED = new InputConvention(0, true);

    /** Prepares mono 16 kHz samples for the model. */
    public float[] prepare(float[] samples) {
        float[] x = fixedLength > 0 ? fixLength(samples, fixedLength) : samples.clone();
        return utteranceNorm ? layerNorm(x) : x;
    }

    /**
     * Keeps the first {@code n} samples of longer audio; tiles shorter audio (whole repeats, then cut),
     * as AASIST's {@code pad}: {@code np.tile(x, n // len(x) + 1)[:n]}.
     */
    public static float[] fixLength(float[] x, int n) {
        if (x.length == 0) {
            throw new IllegalArgumentException("empty audio cannot be tiled to " + n + " samples");
        }
        float[] out = new float[n];
        for (int at = 0; at < n; at += x.length) {
            System.arraycopy(x, 0, out, at, Math.min(x.length, n - at));
        }
        return out;
    }

    /** {@code F.layer_norm(x, x.shape)}: zero mean, unit (biased) variance, eps 1e-5, in double. */
    public static float[] layerNorm(float[] x) {
        double mean = 0;
        for (float v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (float v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double inv = 1.0 / Math.sqrt(var + 1e-5);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) ((x[i] - mean) * inv);
        }
        return out;
    }
}
