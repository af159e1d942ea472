package org.sdd4j.tensor;

import java.lang.foreign.Arena;
import java.util.random.RandomGenerator;

/** Random inputs the backend tests share. */
public final class TestTensors {
    private TestTensors() {
    }

    /** A host float32 tensor of {@code shape}: normal draws from {@code random} times {@code scale}, in element order. */
    public static Tensor gaussian(Arena arena, RandomGenerator random, double scale, int... shape) {
        Tensor t = Tensor.zeros(arena, DType.F32, shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setFloat(i, (float) (random.nextGaussian() * scale));
        }
        return t;
    }
}
