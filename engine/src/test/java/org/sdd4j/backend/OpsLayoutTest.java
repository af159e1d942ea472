package org.sdd4j.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.sdd4j.tensor.Tensor;

/** Ops' layout glue against index arithmetic written out longhand. */
class OpsLayoutTest {

    private static Tensor iota(Ops ops, int... shape) {
        Tensor t = ops.zeros(shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setFloat(i, i);
        }
        return t;
    }

    @Test
    void permuteMatchesIndexArithmetic() {
        int[] shape = {2, 3, 4, 5};
        int[][] perms = {{0, 1, 3, 2}, {0, 2, 1, 3}, {3, 2, 1, 0}, {1, 0, 2, 3}, {0, 1, 2, 3}, {2, 0, 3, 1}};
        try (Ops ops = new Ops(new ReferenceBackend())) {
            Tensor x = iota(ops, shape);
            long[] st = {60, 20, 5, 1};
            for (int[] p : perms) {
                Tensor y = ops.permute(x, p);
                int[] os = {shape[p[0]], shape[p[1]], shape[p[2]], shape[p[3]]};
                assertArrayEquals(os, y.shape());
                long i = 0;
                for (int a = 0; a < os[0]; a++) {
                    for (int b = 0; b < os[1]; b++) {
                        for (int c = 0; c < os[2]; c++) {
                            for (int d = 0; d < os[3]; d++) {
                                long src = a * st[p[0]] + b * st[p[1]] + c * st[p[2]] + d * st[p[3]];
                                assertEquals(src, y.getFloat(i++), 0f, java.util.Arrays.toString(p));
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void transposeOfLargePlanesCrossesTiles() {
        try (Ops ops = new Ops(new ReferenceBackend())) {
            Tensor x = iota(ops, 2, 70, 45);
            Tensor y = ops.transpose(x, 1, 2);
            assertArrayEquals(new int[] {2, 45, 70}, y.shape());
            for (int b = 0; b < 2; b++) {
                for (int i = 0; i < 70; i++) {
                    for (int j = 0; j < 45; j++) {
                        assertEquals(x.getFloat((b * 70L + i) * 45 + j), y.getFloat((b * 45L + j) * 70 + i), 0f);
                    }
                }
            }
        }
    }

    @Test
    void reductionsConcatAndNarrow() {
        try (Ops ops = new Ops(new ReferenceBackend())) {
            Tensor x = Tensor.of(ops.arena(), new float[] {1, -5, 3, 2, 0, -1}, 1, 2, 3);
            assertArrayEquals(new float[] {2, 0, 3}, ops.max(x, 1, false).toFloatArray());
            assertArrayEquals(new float[] {2, 5, 3}, ops.max(x, 1, true).toFloatArray());
            assertArrayEquals(new float[] {-1f / 3, 1f / 3}, ops.mean(x, 2).toFloatArray(), 1e-7f);
            Tensor c = ops.concat(1, x, x);
            assertArrayEquals(new int[] {1, 4, 3}, c.shape());
            assertArrayEquals(new float[] {2, 0, -1}, ops.narrow(c, 1, 3, 1).toFloatArray());
        }
    }
}
