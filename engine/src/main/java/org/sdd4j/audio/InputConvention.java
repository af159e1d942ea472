package org.sdd4j.audio;

import java.util.Arrays;

/**
 * The input conventions of the published detectors (DESIGN.md 3.1), applied to 16 kHz mono samples.
 */
public final class InputConvention {
    /** AASIST / SSL-AASIST input length: 64,600 samples (about 4 s at 16 kHz). */
    public static final int AASIST_LENGTH = 64_600;
    /** Epsilon inside the square root of {@link #utteranceLayerNorm}, as in torch's layer_norm. */
    public static final double LAYER_NORM_EPS = 1e-5;

    private InputConvention() {
    }

    /** {@link #fixedLength(float[], int)} with the AASIST length of 64,600 samples. */
    public static float[] fixedLength(float[] x) {
        return fixedLength(x, AASIST_LENGTH);
    }

    /**
     * The AASIST {@code pad} rule: audio of at least {@code n} samples keeps its first {@code n};
     * shorter audio is repeated whole ({@code n / len + 1} copies) and cut to {@code n}. Always returns
     * a new array.
     *
     * @throws IllegalArgumentException if {@code x} is empty (the reference divides by its length)
     */
    public static float[] fixedLength(float[] x, int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("target length must be positive, was " + n);
        }
        if (x.length == 0) {
            throw new IllegalArgumentException("cannot tile empty audio to " + n + " samples");
        }
        if (x.length >= n) {
            return Arrays.copyOf(x, n);
        }
        float[] out = new float[n];
        for (int at = 0; at < n; at += x.length) {
            System.arraycopy(x, 0, out, at, Math.min(x.length, n - at));
        }
        return out;
    }

    /**
     * AntiDeepfake's normalisation, {@code layer_norm(x, x.shape)} over the whole utterance with no
     * affine part: {@code (x - mean) / sqrt(var + 1e-5)} with the biased variance. Mean and variance
     * are computed in double (two passes, so a large DC offset does not cost precision); the result is
     * rounded to float once per sample. Returns a new array.
     *
     * @throws IllegalArgumentException if {@code x} is empty
     */
    public static float[] utteranceLayerNorm(float[] x) {
        if (x.length == 0) {
            throw new IllegalArgumentException("cannot normalise empty audio");
        }
        double sum = 0;
        for (float v : x) {
            sum += v;
        }
        double mean = sum / x.length;
        double squares = 0;
        for (float v : x) {
            double d = v - mean;
            squares += d * d;
        }
        double inv = 1.0 / Math.sqrt(squares / x.length + LAYER_NORM_EPS);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) ((x[i] - mean) * inv);
        }
        return out;
    }
}
