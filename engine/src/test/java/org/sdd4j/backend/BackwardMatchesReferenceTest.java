package org.sdd4j.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdd4j.backend.cpu.CpuBackend;
import org.sdd4j.backend.cpu.dnnl.DnnlBackend;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.tensor.TestTensors;

/**
 * The fast providers' training operations against {@link ReferenceBackend} in float32 on random inputs:
 * small AASIST- and wav2vec2-like shapes, batches above one, groups, strides and padding. Gradient
 * targets are pre-filled with the same random values on both sides (the results must be those values
 * plus the gradient), and some are left null (the others must be unaffected).
 */
class BackwardMatchesReferenceTest {
    private static final Backend REF = new ReferenceBackend();
    private static final Backend CPU = new CpuBackend(2);
    private static final Backend DNNL = new DnnlBackend(2);
    private static final double TOL = 1e-4;

    private final Random rnd = new Random(5);
    private final Arena arena = Arena.ofAuto();

    @AfterAll
    static void close() {
        CPU.close();
        DNNL.close();
    }

    /** Provider names, not the providers: JUnit closes AutoCloseable arguments after each invocation. */
    static Stream<String> providers() {
        return Stream.of("cpu", "dnnl");
    }

    private static Backend provider(String name) {
        return name.equals("cpu") ? CPU : DNNL;
    }

    private Tensor random(int... shape) {
        return TestTensors.gaussian(arena, rnd, 1, shape);
    }

    private Tensor copyOf(Tensor t) {
        Tensor c = Tensor.zeros(arena, t.shape());
        c.copyFrom(t);
        return c;
    }

    /**
     * Runs {@code op} on the reference and on {@code fast}, each with its own copy of pre-filled targets of
     * the given shapes (a null shape passes a null target), and compares every target.
     */
    private void same(Backend fast, String what, int[][] targets, BiConsumer<Backend, Tensor[]> op) {
        Tensor[] expected = new Tensor[targets.length], actual = new Tensor[targets.length];
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] != null) {
                expected[i] = random(targets[i]);
                actual[i] = copyOf(expected[i]);
            }
        }
        op.accept(REF, expected);
        op.accept(fast, actual);
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] != null) {
                assertClose(what + ", target " + i, expected[i], actual[i]);
            }
        }
    }

    /** Element-wise {@code |e - a| <= TOL * (|e| + rms(e))}: relative, with the tensor's scale for near-zeros. */
    private static void assertClose(String what, Tensor expected, Tensor actual) {
        double ss = 0;
        for (long i = 0; i < expected.numel(); i++) {
            ss += (double) expected.getFloat(i) * expected.getFloat(i);
        }
        double rms = Math.sqrt(ss / Math.max(1, expected.numel()));
        for (long i = 0; i < expected.numel(); i++) {
            double e = expected.getFloat(i), a = actual.getFloat(i);
            assertTrue(Math.abs(e - a) <= TOL * (Math.abs(e) + rms),
                    what + ": element " + i + " expected " + e + ", got " + a);
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void linearBackward(String name) {
        Backend fast = provider(name);
        // {m, n, k}: tiny, odd, an SSL projection's rows, a classifier head, a feed-forward block
        for (int[] mnk : new int[][] {{1, 1, 1}, {7, 5, 3}, {201, 70, 33}, {14, 2, 160}, {2 * 49, 96, 64}}) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            Tensor x = random(m, k), w = random(n, k), dy = random(m, n);
            String what = "linear " + Arrays.toString(mnk);
            same(fast, what, new int[][] {{m, k}, {n, k}, {n}},
                    (be, g) -> be.linearBackward(x, w, dy, g[0], g[1], g[2], m, n, k));
            same(fast, what + " dw only", new int[][] {null, {n, k}, null},
                    (be, g) -> be.linearBackward(x, w, dy, g[0], g[1], g[2], m, n, k));
            same(fast, what + " dx only", new int[][] {{m, k}, null, null},
                    (be, g) -> be.linearBackward(x, w, dy, g[0], g[1], g[2], m, n, k));
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void batchedMatmulBackward(String name) {
        Backend fast = provider(name);
        // {batch, m, n, k}: attention heads (scores and context), one large product, a graph layer
        for (int[] s : new int[][] {{8, 25, 25, 16}, {8, 25, 16, 25}, {1, 40, 70, 33}, {3, 9, 50, 17}}) {
            int batch = s[0], m = s[1], n = s[2], k = s[3];
            Tensor a = random(batch, m, k), b = random(batch, k, n), bt = random(batch, n, k), dy = random(batch, m, n);
            for (boolean transB : new boolean[] {false, true}) {
                Tensor bb = transB ? bt : b;
                String what = "bmm " + Arrays.toString(s) + (transB ? " transB" : "");
                same(fast, what, new int[][] {a.shape(), bb.shape()},
                        (be, g) -> be.batchedMatmulBackward(a, bb, transB, dy, g[0], g[1], batch, m, n, k));
                same(fast, what + " dB only", new int[][] {null, bb.shape()},
                        (be, g) -> be.batchedMatmulBackward(a, bb, transB, dy, g[0], g[1], batch, m, n, k));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void conv1dBackward(String name) {
        Backend fast = provider(name);
        // {batch, cin, len, cout, kernel, stride, padding, groups}: wav2vec2's extractor layers 0 and 1,
        // its positional conv (grouped, even kernel) scaled down, AASIST's sinc layer
        for (int[] c : new int[][] {{2, 1, 400, 8, 10, 5, 0, 1}, {2, 8, 79, 8, 3, 2, 0, 1}, {2, 16, 40, 16, 16, 1, 8, 4},
                {1, 1, 700, 6, 129, 1, 0, 1}, {3, 4, 1300, 6, 3, 1, 1, 2}}) {
            int batch = c[0], cin = c[1], len = c[2], cout = c[3], kw = c[4], stride = c[5], pad = c[6], groups = c[7];
            int lout = (len + 2 * pad - kw) / stride + 1;
            Tensor x = random(batch, cin, len), w = random(cout, cin / groups, kw), dy = random(batch, cout, lout);
            String what = "conv1d " + Arrays.toString(c);
            same(fast, what, new int[][] {x.shape(), w.shape(), {cout}},
                    (be, g) -> be.conv1dBackward(x, w, dy, stride, pad, groups, g[0], g[1], g[2]));
            same(fast, what + " dx only", new int[][] {x.shape(), null, null},
                    (be, g) -> be.conv1dBackward(x, w, dy, stride, pad, groups, g[0], g[1], g[2]));
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void conv2dBackward(String name) {
        Backend fast = provider(name);
        // {batch, cin, h, w, cout, kh, kw, strideH, strideW, padH, padW, groups}: AASIST's residual block convs
        // (first block from one channel), its 1x3 identity conv, a wide input spanning several tiles, a 3x3
        // kernel (blocks of two output rows), and a strided grouped conv
        for (int[] c : new int[][] {{2, 1, 9, 60, 4, 2, 3, 1, 1, 1, 1, 1}, {2, 8, 7, 130, 8, 2, 3, 1, 1, 0, 1, 1},
                {2, 8, 5, 70, 16, 1, 3, 1, 1, 0, 1, 1}, {1, 2, 3, 1500, 4, 2, 3, 1, 1, 1, 1, 1},
                {2, 2, 7, 600, 4, 3, 3, 1, 1, 1, 1, 1}, {2, 4, 9, 20, 6, 3, 3, 2, 2, 1, 1, 2}}) {
            int batch = c[0], cin = c[1], h = c[2], wd = c[3], cout = c[4], kh = c[5], kw = c[6];
            int sh = c[7], sw = c[8], ph = c[9], pw = c[10], groups = c[11];
            int ho = (h + 2 * ph - kh) / sh + 1, wo = (wd + 2 * pw - kw) / sw + 1;
            Tensor x = random(batch, cin, h, wd), w = random(cout, cin / groups, kh, kw), dy = random(batch, cout, ho, wo);
            String what = "conv2d " + Arrays.toString(c);
            same(fast, what, new int[][] {x.shape(), w.shape(), {cout}},
                    (be, g) -> be.conv2dBackward(x, w, dy, sh, sw, ph, pw, groups, g[0], g[1], g[2]));
            same(fast, what + " dw only", new int[][] {null, w.shape(), null},
                    (be, g) -> be.conv2dBackward(x, w, dy, sh, sw, ph, pw, groups, g[0], g[1], g[2]));
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void normBackward(String name) {
        Backend fast = provider(name);
        Tensor x = random(3, 6, 41), dy = random(3, 6, 41), w = random(41), cw = random(6);
        same(fast, "layerNorm", new int[][] {x.shape(), {41}, {41}},
                (be, g) -> be.layerNormBackward(x, w, 1e-5f, dy, g[0], g[1], g[2]));
        same(fast, "layerNorm plain", new int[][] {x.shape()},
                (be, g) -> be.layerNormBackward(x, null, 1e-5f, dy, g[0], null, null));
        Tensor xc = random(2, 16, 45), dyc = random(2, 16, 45), wc = random(16);
        same(fast, "layerNormChannels", new int[][] {xc.shape(), {16}, {16}},
                (be, g) -> be.layerNormChannelsBackward(xc, wc, 1e-5f, dyc, g[0], g[1], g[2]));
        for (int groups : new int[] {6, 2, 1}) {
            same(fast, "groupNorm " + groups, new int[][] {x.shape(), {6}, {6}},
                    (be, g) -> be.groupNormBackward(x, groups, cw, 1e-5f, dy, g[0], g[1], g[2]));
        }
        same(fast, "groupNorm dx only", new int[][] {x.shape(), null, null},
                (be, g) -> be.groupNormBackward(x, 3, cw, 1e-5f, dy, g[0], g[1], g[2]));
    }

    @ParameterizedTest
    @MethodSource("providers")
    void batchNormTrainAndBackward(String name) {
        Backend fast = provider(name);
        for (int[] shape : new int[][] {{4, 6, 37}, {3, 5, 4, 11}, {14, 64}}) {
            int c = shape[1];
            Tensor x = random(shape), w = random(c), b = random(c), dy = random(shape);
            for (long i = 0; i < x.numel(); i++) {
                x.setFloat(i, x.getFloat(i) * 3 + 2); // an offset and a scale the statistics must find
            }
            Tensor rm = random(c), rv = random(c), saved = null;
            String what = "batchNorm " + Arrays.toString(shape);
            // targets: out, saveMean, saveInvStd, runningMean, runningVar (pre-filled: updated, not overwritten)
            same(fast, what + " train", new int[][] {shape, {c}, {c}, {c}, {c}},
                    (be, g) -> be.batchNormTrain(x, w, b, g[3], g[4], 0.1f, 1e-5f, g[0], g[1], g[2]));
            same(fast, what + " train, no affine, no tracking", new int[][] {shape, {c}, {c}},
                    (be, g) -> be.batchNormTrain(x, null, null, null, null, 0.1f, 1e-5f, g[0], g[1], g[2]));
            Tensor mean = Tensor.zeros(arena, c), inv = Tensor.zeros(arena, c);
            REF.batchNormTrain(x, w, b, null, null, 0.1f, 1e-5f, Tensor.zeros(arena, shape), mean, inv);
            same(fast, what + " backward", new int[][] {shape, {c}, {c}},
                    (be, g) -> be.batchNormBackward(x, w, mean, inv, dy, g[0], g[1], g[2]));
            same(fast, what + " backward, dx only, no affine", new int[][] {shape},
                    (be, g) -> be.batchNormBackward(x, null, mean, inv, dy, g[0], null, null));
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void elementwiseBackward(String name) {
        Backend fast = provider(name);
        Tensor x = random(5, 333), dy = random(5, 333);
        for (int i = 0; i < 40; i++) {
            x.setFloat(i * 41L, 0f); // exact zeros: abs' and relu' are 0 there, as torch's
        }
        for (Activation f : Activation.values()) {
            Tensor y = Tensor.zeros(arena, 5, 333);
            REF.activation(f, x, y);
            same(fast, "activation " + f, new int[][] {x.shape()}, (be, g) -> be.activationBackward(f, x, y, dy, g[0]));
        }
        Tensor y = Tensor.zeros(arena, 5, 333);
        REF.softmax(x, y);
        same(fast, "softmax", new int[][] {x.shape()}, (be, g) -> be.softmaxBackward(y, dy, g[0]));
        // Values on a coarse grid make ties: both must route each window's gradient to its first maximum.
        Tensor img = random(2, 3, 10, 31);
        for (long i = 0; i < img.numel(); i++) {
            img.setFloat(i, Math.round(img.getFloat(i) * 2) / 2f);
        }
        for (int[] k : new int[][] {{3, 3}, {1, 3}, {2, 2}}) {
            Tensor g = random(2, 3, 10 / k[0], 31 / k[1]);
            same(fast, "maxPool2d " + Arrays.toString(k), new int[][] {img.shape()},
                    (be, t) -> be.maxPool2dBackward(img, k[0], k[1], g, t[0]));
        }
    }

    @Test
    void allNullTargetsDoNothing() {
        Tensor x = random(2, 3), y = random(2, 3), dy = random(2, 3), w = random(4, 3), dyl = random(2, 4);
        Tensor img = random(1, 2, 3, 5), k = random(2, 2, 2, 3), dyc = random(1, 2, 2, 3);
        Tensor[] inputs = {x, y, dy, w, dyl, img, k, dyc};
        Tensor[] before = Arrays.stream(inputs).map(this::copyOf).toArray(Tensor[]::new);
        for (Backend be : new Backend[] {REF, CPU, DNNL}) {
            be.softmaxBackward(y, dy, null);
            be.activationBackward(Activation.GELU, x, y, dy, null);
            be.linearBackward(x, w, dyl, null, null, null, 2, 4, 3);
            be.conv2dBackward(img, k, dyc, 1, 1, 0, 0, 1, null, null, null);
            be.maxPool2dBackward(img, 1, 1, img, null);
        }
        for (int i = 0; i < inputs.length; i++) {
            assertTrue(Arrays.equals(before[i].toFloatArray(), inputs[i].toFloatArray()), "input " + i + " changed");
        }
    }
}
