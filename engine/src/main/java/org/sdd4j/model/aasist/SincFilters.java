package org.sdd4j.model.aasist;

/**
 * AASIST's fixed sinc band-pass filter bank ({@code CONV} in the reference): mel-spaced band edges,
 * ideal band-pass responses, Hamming window. The filters are not in the checkpoint; they are
 * recomputed, reproducing where the reference rounds to float32 (the sinc argument and the sinc
 * itself are float32 there because {@code hsupp} is a float32 tensor).
 */
final class SincFilters {
    private SincFilters() {
    }

    /** {@code [filters, kernel]} row-major; {@code kernel} is made odd as the reference does. */
    static float[] bank(int filters, int kernelSize, int sampleRate) {
        int k = kernelSize % 2 == 0 ? kernelSize + 1 : kernelSize;
        int nfft = 512;
        int bins = nfft / 2 + 1;
        double melMin = Double.POSITIVE_INFINITY, melMax = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < bins; i++) {
            double hz = (sampleRate / 2) * (i / (double) (bins - 1));
            double mel = toMel(hz);
            melMin = Math.min(melMin, mel);
            melMax = Math.max(melMax, mel);
        }
        double[] edges = new double[filters + 1];
        for (int i = 0; i <= filters; i++) {
            double mel = filters == 0 ? melMin : melMin + (melMax - melMin) * i / filters;
            edges[i] = toHz(mel);
        }
        float[] bank = new float[filters * k];
        int half = (k - 1) / 2;
        for (int f = 0; f < filters; f++) {
            for (int n = 0; n < k; n++) {
                float h = (float) (n - half);
                double ideal = band(edges[f + 1], h, sampleRate) - band(edges[f], h, sampleRate);
                float window = (float) (0.54 - 0.46 * Math.cos(2 * Math.PI * n / (k - 1)));
                bank[f * k + n] = window * (float) ideal;
            }
        }
        return bank;
    }

    /** {@code (2 f / sr) * np.sinc(2 f h / sr)} with the sinc evaluated in float32. */
    private static double band(double f, float h, int sr) {
        float arg = (float) (2 * f) * h / sr;
        return (2 * f / sr) * sinc32(arg);
    }

    private static float sinc32(float x) {
        float y = (float) Math.PI * (x == 0f ? 1.0e-20f : x);
        return (float) Math.sin(y) / y;
    }

    private static double toMel(double hz) {
        return 2595 * Math.log10(1 + hz / 700);
    }

    private static double toHz(double mel) {
        return 700 * (Math.pow(10, mel / 2595) - 1);
    }
}
