package org.sdd4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Random;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.sdd4j.backend.cpu.CpuBackend;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.tensor.TestTensors;

/** The fast CPU provider against the reference definition, op by op, on random inputs and awkward sizes. */
class CpuBackendTest {
    private static final Backend REF = new ReferenceBackend();
    private static final Backend CPU = new CpuBackend(2);
    private final Random rnd = new Random(7);
    private final Arena arena = Arena.ofAuto();

    @AfterAll
    static void close() {
        CPU.close();
    }

    private Tensor random(int... shape) {
        return TestTensors.gaussian(arena, rnd, 1, shape);
    }

    /** Runs {@code op} on both providers into fresh outputs and compares them. */
    private void same(int[] outShape, double tol, BiConsumer<Backend, Tensor> op) {
        Tensor expected = Tensor.zeros(arena, outShape), actual = Tensor.zeros(arena, outShape);
        op.accept(REF, expected);
        op.accept(CPU, actual);
        double worst = 0;
        for (long i = 0; i < expected.numel(); i++) {
            double e = expected.getFloat(i), a = actual.getFloat(i);
            worst = Math.max(worst, Math.abs(e - a) / (1 + Math.abs(e)));
        }
        assertTrue(worst <= tol, "max relative difference " + worst + " > " + tol);
    }

    @Test
    void linearMatchesReference() {
        for (int[] mnk : new int[][] {{1, 1, 1}, {7, 5, 3}, {201, 70, 33}, {13, 100, 129}, {4, 48, 64}}) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            Tensor a = random(m, k), w = random(n, k), b = random(n);
            same(new int[] {m, n}, 1e-5, (be, out) -> be.linear(a, w, b, out, m, n, k));
            same(new int[] {m, n}, 1e-5, (be, out) -> be.linear(a, w, null, out, m, n, k));
        }
    }

    @Test
    void batchedMatmulMatchesReference() {
        Tensor a = random(3, 9, 17), b = random(3, 17, 50), bt = random(3, 50, 17);
        same(new int[] {3, 9, 50}, 1e-5, (be, out) -> be.batchedMatmul(a, b, false, out, 3, 9, 50, 17));
        same(new int[] {3, 9, 50}, 1e-5, (be, out) -> be.batchedMatmul(a, bt, true, out, 3, 9, 50, 17));
    }

    @Test
    void conv1dMatchesReference() {
        Tensor x = random(2, 8, 700), w = random(12, 8, 10), b = random(12);
        same(new int[] {2, 12, 139}, 1e-5, (be, out) -> be.conv1d(x, w, b, 5, 0, 1, out));
        Tensor wg = random(8, 2, 8);
        same(new int[] {2, 8, 701}, 1e-5, (be, out) -> be.conv1d(x, wg, null, 1, 4, 4, out));
        Tensor x1 = random(1, 1, 1500), sinc = random(70, 1, 129);
        same(new int[] {1, 70, 1372}, 1e-5, (be, out) -> be.conv1d(x1, sinc, null, 1, 0, 1, out));
    }

    @Test
    void conv2dMatchesReference() {
        Tensor x = random(2, 5, 9, 600), w = random(7, 5, 2, 3), b = random(7);
        same(new int[] {2, 7, 10, 600}, 1e-5, (be, out) -> be.conv2d(x, w, b, 1, 1, 1, 1, 1, out));
        same(new int[] {2, 7, 8, 600}, 1e-5, (be, out) -> be.conv2d(x, w, null, 1, 1, 0, 1, 1, out));
        Tensor w1 = random(7, 5, 1, 3);
        same(new int[] {2, 7, 9, 600}, 1e-5, (be, out) -> be.conv2d(x, w1, b, 1, 1, 0, 1, 1, out));
    }

    @Test
    void normsMatchReference() {
        Tensor x = random(3, 6, 41), w = random(41), b = random(41), cw = random(6), cb = random(6);
        Tensor mean = random(6), var = random(6);
        for (long i = 0; i < 6; i++) {
            var.setFloat(i, Math.abs(var.getFloat(i)) + 0.1f);
        }
        same(new int[] {3, 6, 41}, 1e-5, (be, out) -> be.layerNorm(x, w, b, 1e-5f, out));
        same(new int[] {3, 6, 41}, 1e-5, (be, out) -> be.layerNorm(x, null, null, 1e-5f, out));
        same(new int[] {3, 6, 41}, 1e-5, (be, out) -> be.layerNormChannels(x, cw, cb, 1e-5f, out));
        same(new int[] {3, 6, 41}, 1e-5, (be, out) -> be.groupNorm(x, 6, cw, cb, 1e-5f, out));
        same(new int[] {3, 6, 41}, 1e-5, (be, out) -> be.groupNorm(x, 2, cw, cb, 1e-5f, out));
        same(new int[] {3, 6, 41}, 1e-5, (be, out) -> be.batchNorm(x, mean, var, cw, cb, 1e-5f, out));
    }

    @Test
    void elementwiseMatchesReference() {
        Tensor x = random(5, 333), bias = random(333);
        for (Activation f : Activation.values()) {
            same(new int[] {5, 333}, 3e-7, (be, out) -> be.activation(f, x, out));
        }
        same(new int[] {5, 333}, 1e-6, (be, out) -> be.softmax(x, out));
        same(new int[] {5, 333}, 0, (be, out) -> be.add(x, bias, out));
        Tensor img = random(2, 3, 10, 31);
        same(new int[] {2, 3, 3, 10}, 0, (be, out) -> be.maxPool2d(img, 3, 3, out));
    }

    @Test
    void geluAndSeluMatchKnownValues() {
        Tensor x = Tensor.of(arena, new float[] {-3f, -1f, 0f, 0.5f, 2f}, 5), out = Tensor.zeros(arena, 5);
        CPU.activation(Activation.GELU, x, out);
        // torch.nn.functional.gelu(torch.tensor([-3., -1., 0., .5, 2.]))
        float[] gelu = {-0.0040496886f, -0.15865526f, 0f, 0.34573123f, 1.9544997f};
        for (int i = 0; i < 5; i++) {
            assertEquals(gelu[i], out.getFloat(i), 2e-7);
        }
        CPU.activation(Activation.SELU, x, out);
        // torch.selu of the same
        float[] selu = {-1.6705687f, -1.1113307f, 0f, 0.52535045f, 2.101402f};
        for (int i = 0; i < 5; i++) {
            assertEquals(selu[i], out.getFloat(i), 2e-6);
        }
    }
}
