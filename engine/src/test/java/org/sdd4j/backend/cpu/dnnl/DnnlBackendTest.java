package org.sdd4j.backend.cpu.dnnl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.ReferenceBackend;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.tensor.TestTensors;

/**
 * The oneDNN provider against the reference definition on random inputs: the shapes of AASIST and
 * wav2vec2 scaled down, plus groups, strides, padding, odd sizes and batches; then the fallbacks and
 * the per-thread oneDNN policy.
 */
class DnnlBackendTest {
    private static final Backend REF = new ReferenceBackend();
    private static final DnnlBackend DNNL = new DnnlBackend(2);
    private final Random rnd = new Random(11);
    private final Arena arena = Arena.ofAuto();

    @AfterAll
    static void close() {
        DNNL.close();
    }

    private Tensor random(int... shape) {
        return TestTensors.gaussian(arena, rnd, 1, shape);
    }

    private static double worstDifference(Tensor expected, Tensor actual) {
        double worst = 0;
        for (long i = 0; i < expected.numel(); i++) {
            double e = expected.getFloat(i), a = actual.getFloat(i);
            worst = Math.max(worst, Math.abs(e - a) / (1 + Math.abs(e)));
        }
        return worst;
    }

    /** Runs {@code op} on the reference and on oneDNN into fresh outputs and compares them. */
    private void same(int[] outShape, double tol, BiConsumer<Backend, Tensor> op) {
        Tensor expected = Tensor.zeros(arena, outShape), actual = Tensor.zeros(arena, outShape);
        // Garbage in the output: every path must overwrite, never accumulate into, what is there.
        for (long i = 0; i < actual.numel(); i++) {
            actual.setFloat(i, 1e3f);
        }
        op.accept(REF, expected);
        op.accept(DNNL, actual);
        double worst = worstDifference(expected, actual);
        assertTrue(worst <= tol, "max relative difference " + worst + " > " + tol);
    }

    @Test
    void linearMatchesReference() {
        for (int[] mnk : new int[][] {{1, 1, 1}, {7, 5, 3}, {201, 70, 33}, {13, 100, 129}, {4, 48, 64},
                {37, 257, 96}}) {
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
        // Attention-like: [B*H, T, d] x [B*H, T, d]^T, then the probabilities times V.
        Tensor q = random(4, 21, 8), k = random(4, 21, 8);
        same(new int[] {4, 21, 21}, 1e-5, (be, out) -> be.batchedMatmul(q, k, true, out, 4, 21, 21, 8));
        Tensor p = random(4, 21, 21), v = random(4, 21, 8);
        same(new int[] {4, 21, 8}, 1e-5, (be, out) -> be.batchedMatmul(p, v, false, out, 4, 21, 8, 21));
    }

    @Test
    void conv1dMatchesReference() {
        Tensor x = random(2, 8, 700), w = random(12, 8, 10), b = random(12);
        same(new int[] {2, 12, 139}, 1e-5, (be, out) -> be.conv1d(x, w, b, 5, 0, 1, out));
        same(new int[] {2, 12, 140}, 1e-5, (be, out) -> be.conv1d(x, w, null, 5, 3, 1, out));
        // Grouped, padded: the wav2vec2 positional conv in small (even kernel, padding k/2, one extra frame).
        Tensor wg = random(8, 2, 8);
        same(new int[] {2, 8, 701}, 1e-5, (be, out) -> be.conv1d(x, wg, null, 1, 4, 4, out));
        Tensor xp = random(3, 32, 41), wp = random(32, 8, 16), bp = random(32);
        same(new int[] {3, 32, 42}, 1e-5, (be, out) -> be.conv1d(xp, wp, bp, 1, 8, 4, out));
        // AASIST's sinc front end: one channel in, 70 filters of 129 taps, no bias; longer than one tile.
        Tensor x1 = random(2, 1, 5000), sinc = random(70, 1, 129);
        same(new int[] {2, 70, 4872}, 1e-5, (be, out) -> be.conv1d(x1, sinc, null, 1, 0, 1, out));
        // wav2vec2's first conv (1 -> C, k10 s5) and a strided k3 s2 / k2 s2 pair, odd lengths.
        Tensor w0 = random(24, 1, 10), xw = random(2, 1, 1601);
        same(new int[] {2, 24, 319}, 1e-5, (be, out) -> be.conv1d(xw, w0, null, 5, 0, 1, out));
        Tensor xs = random(1, 24, 319), w3 = random(24, 24, 3), w2 = random(24, 24, 2);
        same(new int[] {1, 24, 159}, 1e-5, (be, out) -> be.conv1d(xs, w3, null, 2, 0, 1, out));
        same(new int[] {1, 24, 159}, 1e-5, (be, out) -> be.conv1d(xs, w2, null, 2, 0, 1, out));
    }

    @Test
    void conv2dMatchesReference() {
        // AASIST residual block kernels: (2,3) pad (1,1), (2,3) pad (0,1), the (1,3) pad (0,1) shortcut.
        Tensor x = random(2, 5, 9, 600), w = random(7, 5, 2, 3), b = random(7);
        same(new int[] {2, 7, 10, 600}, 1e-5, (be, out) -> be.conv2d(x, w, b, 1, 1, 1, 1, 1, out));
        same(new int[] {2, 7, 8, 600}, 1e-5, (be, out) -> be.conv2d(x, w, null, 1, 1, 0, 1, 1, out));
        Tensor w1 = random(7, 5, 1, 3);
        same(new int[] {2, 7, 9, 600}, 1e-5, (be, out) -> be.conv2d(x, w1, b, 1, 1, 0, 1, 1, out));
        // First block: one channel in; and a 32 -> 24 conv on a narrow map.
        Tensor x1 = random(1, 1, 23, 301), wf = random(32, 1, 2, 3), bf = random(32);
        same(new int[] {1, 32, 24, 301}, 1e-5, (be, out) -> be.conv2d(x1, wf, bf, 1, 1, 1, 1, 1, out));
        Tensor xn = random(3, 32, 6, 29), wn = random(24, 32, 2, 3), bn = random(24);
        same(new int[] {3, 24, 5, 29}, 1e-5, (be, out) -> be.conv2d(xn, wn, bn, 1, 1, 0, 1, 1, out));
        // Strides, groups, asymmetric kernel and a 1x1 conv (the attention map).
        Tensor xg = random(2, 6, 11, 17), wg = random(9, 2, 3, 2);
        same(new int[] {2, 9, 6, 9}, 1e-5, (be, out) -> be.conv2d(xg, wg, null, 2, 2, 1, 1, 3, out));
        Tensor w11 = random(12, 6, 1, 1), b11 = random(12);
        same(new int[] {2, 12, 11, 17}, 1e-5, (be, out) -> be.conv2d(xg, w11, b11, 1, 1, 0, 0, 1, out));
    }

    @Test
    void heapTensorsTakeTheVectorPath() {
        Tensor a = Tensor.wrap(MemorySegment.ofArray(new float[] {1, 2, 3, 4, 5, 6}), DType.F32, 2, 3);
        Tensor w = Tensor.wrap(MemorySegment.ofArray(new float[] {1, 0, -1, 2, 2, 2}), DType.F32, 2, 3);
        Tensor out = Tensor.zeros(arena, 2, 2);
        DNNL.linear(a, w, null, out, 2, 2, 3);
        assertEquals(-2f, out.getFloat(0));
        assertEquals(12f, out.getFloat(1));
        assertEquals(-2f, out.getFloat(2));
        assertEquals(30f, out.getFloat(3));
    }

    @Test
    void concurrentCallersGetTheirOwnOneDnnAndCorrectResults() throws Exception {
        int callers = 4;
        List<Tensor[]> work = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            Tensor a = random(33, 40), w = random(50, 40), b = random(50);
            Tensor x = random(1, 3, 7, 90), cw = random(8, 3, 2, 3);
            Tensor linRef = Tensor.zeros(arena, 33, 50), convRef = Tensor.zeros(arena, 1, 8, 8, 90);
            REF.linear(a, w, b, linRef, 33, 50, 40);
            REF.conv2d(x, cw, null, 1, 1, 1, 1, 1, convRef);
            work.add(new Tensor[] {a, w, b, x, cw, linRef, convRef});
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(callers)) {
            List<Future<Double>> results = new ArrayList<>();
            for (Tensor[] t : work) {
                results.add(pool.submit(() -> {
                    double worst = 0;
                    try (Arena local = Arena.ofConfined()) {
                        for (int rep = 0; rep < 20; rep++) {
                            Tensor lin = Tensor.zeros(local, 33, 50), conv = Tensor.zeros(local, 1, 8, 8, 90);
                            DNNL.linear(t[0], t[1], t[2], lin, 33, 50, 40);
                            DNNL.conv2d(t[3], t[4], null, 1, 1, 1, 1, 1, conv);
                            worst = Math.max(worst, Math.max(worstDifference(t[5], lin), worstDifference(t[6], conv)));
                        }
                    }
                    return worst;
                }));
            }
            for (Future<Double> f : results) {
                assertTrue(f.get() <= 1e-5, "a concurrent caller got a wrong result: " + f.get());
            }
        }
        // The test thread's (made by the constructor) plus one per pool thread.
        assertTrue(DNNL.openInstances() >= 1 + callers, "instances: " + DNNL.openInstances());
    }

    @Test
    void closeFreesEveryInstanceAndRefusesLaterCalls() throws Exception {
        DnnlBackend b = new DnnlBackend(1);
        Tensor a = random(3, 4), w = random(5, 4), out = Tensor.zeros(arena, 3, 5);
        Thread other = Thread.ofPlatform().start(() -> b.linear(a, w, null, out, 3, 5, 4));
        other.join();
        assertEquals(2, b.openInstances());
        b.close();
        assertEquals(0, b.openInstances());
        assertThrows(IllegalStateException.class, () -> b.linear(a, w, null, out, 3, 5, 4));
        b.close(); // idempotent
    }

    @Test
    void namesTheLibraryAndThreads() {
        assertTrue(DNNL.name().startsWith("cpu-onednn(3."), DNNL.name());
        assertEquals(2, DNNL.threads());
        assertTrue(DNNL.library().path().isAbsolute(), DNNL.library().describe());
    }
}
