package org.sdd4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.HashSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CropTest {
    private static float[] ramp(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
        }
        return x;
    }

    @Test
    void randomCropIsAContiguousWindowAtEveryOffsetButTheLast() {
        float[] x = ramp(20);
        var offsets = new HashSet<Integer>();
        var rng = new SplittableRandom(1);
        for (int i = 0; i < 500; i++) {
            float[] y = Crop.random(x, 16, rng);
            int off = (int) y[0];
            assertArrayEquals(Arrays.copyOfRange(x, off, off + 16), y);
            offsets.add(off);
        }
        assertEquals(new HashSet<>(java.util.List.of(0, 1, 2, 3)), offsets, "numpy randint(len - length) excludes the last offset");
    }

    @Test
    void shortAudioIsTiledAndExactLengthKept() {
        assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2, 0}, Crop.random(ramp(3), 7, new SplittableRandom(1)));
        assertArrayEquals(ramp(7), Crop.random(ramp(7), 7, new SplittableRandom(1)));
        assertArrayEquals(new float[] {0, 1, 2, 3}, Crop.head(ramp(10), 4));
    }
}
