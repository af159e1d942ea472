package org.sdd4j.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InputConventionTest {

    /** The AASIST reference, literally: num_repeats = int(max_len / x_len) + 1; np.tile(x, num_repeats)[:max_len]. */
    private static float[] aasistPad(float[] x, int maxLen) {
        if (x.length >= maxLen) {
            return Arrays.copyOf(x, maxLen);
        }
        int repeats = maxLen / x.length + 1;
        float[] tiled = new float[x.length * repeats];
        for (int r = 0; r < repeats; r++) {
            System.arraycopy(x, 0, tiled, r * x.length, x.length);
        }
        return Arrays.copyOf(tiled, maxLen);
    }

    @Test
    void shortInputIsTiledWholeThenCut() {
        float[] x = {1, 2, 3};
        assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3, 1, 2}, InputConvention.fixedLength(x, 8));
        assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3}, InputConvention.fixedLength(x, 6)); // exact multiple
        assertArrayEquals(new float[] {1, 2, 3, 1}, InputConvention.fixedLength(x, 4));
        assertArrayEquals(new float[] {7, 7, 7, 7, 7}, InputConvention.fixedLength(new float[] {7}, 5));
    }

    @Test
    void longInputKeepsTheFirstSamples() {
        float[] x = {1, 2, 3, 4, 5};
        assertArrayEquals(new float[] {1, 2, 3}, InputConvention.fixedLength(x, 3));
        float[] same = InputConvention.fixedLength(x, 5);
        assertArrayEquals(x, same);
        assertNotSame(x, same);
    }

    @Test
    void matchesTheReferenceAtTheAasistLength() {
        Random rnd = new Random(3);
        for (int len : new int[] {1, 999, 16000, 32300, 64599, 64600, 64601, 100000}) {
            float[] x = new float[len];
            for (int i = 0; i < len; i++) {
                x[i] = rnd.nextFloat() * 2 - 1;
            }
            float[] y = InputConvention.fixedLength(x);
            assertEquals(InputConvention.AASIST_LENGTH, y.length);
            assertArrayEquals(aasistPad(x, 64_600), y, "length " + len);
        }
    }

    @Test
    void emptyInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> InputConvention.fixedLength(new float[0]));
        assertThrows(IllegalArgumentException.class, () -> InputConvention.utteranceLayerNorm(new float[0]));
    }

    @Test
    void layerNormUsesBiasedVarianceAndEpsInsideTheRoot() {
        float[] y = InputConvention.utteranceLayerNorm(new float[] {1, 2, 3, 4});
        double s = Math.sqrt(1.25 + 1e-5); // mean 2.5, biased variance 1.25
        assertArrayEquals(new float[] {(float) (-1.5 / s), (float) (-0.5 / s), (float) (0.5 / s), (float) (1.5 / s)}, y);
        assertArrayEquals(new float[] {0, 0, 0}, InputConvention.utteranceLayerNorm(new float[] {0.25f, 0.25f, 0.25f}));
    }

    @Test
    void layerNormGivesZeroMeanUnitVarianceEvenWithOffset() {
        Random rnd = new Random(5);
        float[] x = new float[48_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.7f + 0.01f * (float) rnd.nextGaussian(); // large DC offset, small signal
        }
        float[] y = InputConvention.utteranceLayerNorm(x);
        double mean = 0;
        double sq = 0;
        for (float v : y) {
            mean += v;
            sq += (double) v * v;
        }
        mean /= y.length;
        double var = sq / y.length - mean * mean;
        assertEquals(0, mean, 1e-6);
        assertEquals(1e-4 / (1e-4 + 1e-5), var, 2e-3); // eps matters at this signal level
    }
}
