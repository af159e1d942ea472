package org.sdd4j.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sdd4j.tensor.MemoryPool;
import org.sdd4j.tensor.Tensor;

/**
 * A recording scope frees activations early (after their scoped body returned and their last backward use)
 * and overwrites in place when backward does not need the old values, without changing a single gradient bit.
 */
class ActivationLifetimesTest {
    private static final int B = 3, D = 64, LAYERS = 3;

    private static Tensor random(Arena arena, SplittableRandom r, int... shape) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return Tensor.of(arena, v, shape);
    }

    /**
     * Layers of GELU(0.5 * (2 * x W^T)), each scoped (freeing, in place) or all in one scope with copies; returns
     * the gradients of W. {@code keptPerLayer} receives the bytes each scoped body left held on exit, and
     * {@code inPlace} whether its scaling overwrote the linear output.
     */
    private static float[][] gradients(Backend backend, Tensor x0, Tensor[] w, boolean scoped, long[] keptPerLayer,
                                       boolean[] inPlace) {
        MemoryPool pool = backend.memory();
        try (Arena arena = Arena.ofConfined(); Ops ops = Ops.training(backend, true, null)) {
            Tensor[] dw = new Tensor[w.length];
            for (int i = 0; i < w.length; i++) {
                ops.tape().watch(w[i]);
                dw[i] = Tensor.zeros(arena, org.sdd4j.tensor.DType.F32, w[i].shape());
                ops.tape().bindGrad(w[i], dw[i]);
            }
            Tensor x = x0;
            for (int i = 0; i < w.length; i++) {
                Tensor in = x, wi = w[i];
                int layer = i;
                if (scoped) {
                    long before = pool.liveBytes();
                    // No backward step reads the linear output (linear keeps its input, scalings keep nothing):
                    // it is scaled in place and freed when the body returns; GELU keeps its input.
                    x = ops.scoped(o -> {
                        Tensor h = o.linear(in, wi, null);
                        Tensor s = o.scaleInPlace(h, 2f);
                        inPlace[layer] = s.data().address() == h.data().address();
                        return o.act(Activation.GELU, o.scale(s, 0.5f));
                    });
                    keptPerLayer[i] = pool.liveBytes() - before;
                } else {
                    x = ops.act(Activation.GELU, ops.scale(ops.scale(ops.linear(in, wi, null), 2f), 0.5f));
                }
            }
            Tensor loss = ops.mean(ops.mean(x, 1), 0);
            ops.tape().backward(loss);
            float[][] out = new float[w.length][];
            for (int i = 0; i < w.length; i++) {
                out[i] = dw[i].toFloatArray();
            }
            return out;
        }
    }

    /** The pool's block size for {@code n} floats (what one activation holds). */
    private static final class MemoryPoolSizes {
        static long of(long floats) {
            try (MemoryPool p = new MemoryPool()) {
                var s = p.take(floats * 4, false);
                long live = p.liveBytes();
                p.give(s);
                return live;
            }
        }
    }

    @Test
    void freeingEarlyAndInPlaceKeepEveryGradientBit() {
        SplittableRandom r = new SplittableRandom(3);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = random(arena, r, B, D);
            Tensor[] w = new Tensor[LAYERS];
            for (int i = 0; i < LAYERS; i++) {
                w[i] = random(arena, r, D, D);
            }
            long[] kept = new long[LAYERS];
            boolean[] inPlace = new boolean[LAYERS];
            float[][] reference = gradients(new ReferenceBackend(), x, w, false, new long[LAYERS], new boolean[LAYERS]);
            float[][] early = gradients(new ReferenceBackend(), x, w, true, kept, inPlace);
            long block = MemoryPoolSizes.of((long) B * D);
            for (int i = 0; i < LAYERS; i++) {
                // Later layers reuse the freed blocks of earlier ones: the tape must still tell them apart.
                assertArrayEquals(reference[i], early[i], "layer " + i);
                for (float g : early[i]) {
                    assertTrue(Float.isFinite(g), "layer " + i + " read a freed (NaN-filled) activation");
                }
                assertTrue(inPlace[i], "layer " + i + ": the unsaved linear output is scaled in place");
                // Three activations made, two held on exit: GELU's saved input and the body's result.
                assertEquals(2 * block, kept[i], "layer " + i + ": only the unsaved linear output is freed");
            }
        }
    }
}
