package org.sdd4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

/**
 * Every backward operation of {@link ReferenceBackend} against central finite differences of its forward,
 * in float64 on small random inputs. The scalar checked is {@code L = sum(out * r)} for a random {@code r}:
 * its gradient is the backward pass with {@code dy = r}. Gradient targets start with random values, so the
 * check also holds the accumulate (+=) contract.
 */
class GradientCheckTest {
    private static final Backend REF = new ReferenceBackend();
    private static final double STEP = 1e-6;
    /** Absolute and relative tolerance: float64 differences with step 1e-6 are good to ~1e-9 here. */
    private static final double ATOL = 1e-7, RTOL = 1e-6;

    private final Random rnd = new Random(20260);
    private final Arena arena = Arena.ofAuto();

    private Tensor random(int... shape) {
        Tensor t = Tensor.zeros(arena, DType.F64, shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setDouble(i, rnd.nextGaussian());
        }
        return t;
    }

    private Tensor copyOf(Tensor t) {
        Tensor c = Tensor.zeros(arena, DType.F64, t.shape());
        c.copyFrom(t);
        return c;
    }

    /** Backward pass given {@code dy} and one gradient target per input (same order). */
    @FunctionalInterface
    private interface Backward {
        void run(Tensor dy, Tensor[] grads);
    }

    /**
     * Checks the gradients of {@code forward} (writing into its argument) with respect to each of
     * {@code inputs}, as computed by {@code backward}, against central differences.
     */
    private void check(String what, int[] outShape, Consumer<Tensor> forward, Backward backward, Tensor... inputs) {
        Tensor r = random(outShape), out = Tensor.zeros(arena, DType.F64, outShape);
        Tensor[] grads = new Tensor[inputs.length], before = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            grads[i] = random(inputs[i].shape());
            before[i] = copyOf(grads[i]);
        }
        backward.run(r, grads);
        for (int i = 0; i < inputs.length; i++) {
            Tensor x = inputs[i];
            for (long j = 0; j < x.numel(); j++) {
                double v = x.getDouble(j);
                x.setDouble(j, v + STEP);
                double plus = loss(forward, out, r);
                x.setDouble(j, v - STEP);
                double minus = loss(forward, out, r);
                x.setDouble(j, v);
                double numeric = (plus - minus) / (2 * STEP);
                double analytic = grads[i].getDouble(j) - before[i].getDouble(j);
                assertTrue(Math.abs(numeric - analytic) <= ATOL + RTOL * Math.abs(numeric),
                        what + ": d/d(input " + i + ")[" + j + "] analytic " + analytic + ", numeric " + numeric);
            }
        }
    }

    private static double loss(Consumer<Tensor> forward, Tensor out, Tensor r) {
        forward.accept(out);
        double s = 0;
        for (long i = 0; i < out.numel(); i++) {
            s += out.getDouble(i) * r.getDouble(i);
        }
        return s;
    }

    @Test
    void linear() {
        int m = 5, n = 4, k = 7;
        Tensor x = random(m, k), w = random(n, k), b = random(n);
        check("linear", new int[] {m, n}, out -> REF.linear(x, w, b, out, m, n, k),
                (dy, g) -> REF.linearBackward(x, w, dy, g[0], g[1], g[2], m, n, k), x, w, b);
    }

    @Test
    void batchedMatmul() {
        Tensor a = random(3, 4, 5), b = random(3, 5, 6), bt = random(3, 6, 5);
        check("bmm", new int[] {3, 4, 6}, out -> REF.batchedMatmul(a, b, false, out, 3, 4, 6, 5),
                (dy, g) -> REF.batchedMatmulBackward(a, b, false, dy, g[0], g[1], 3, 4, 6, 5), a, b);
        check("bmm transB", new int[] {3, 4, 6}, out -> REF.batchedMatmul(a, bt, true, out, 3, 4, 6, 5),
                (dy, g) -> REF.batchedMatmulBackward(a, bt, true, dy, g[0], g[1], 3, 4, 6, 5), a, bt);
    }

    @Test
    void conv1d() {
        // {cin, cout, kernel, stride, padding, groups, length}: grouped with padding, plain, wav2vec2's strided first layer
        for (int[] c : new int[][] {{4, 6, 3, 2, 1, 2, 13}, {4, 3, 5, 1, 2, 1, 9}, {1, 3, 10, 5, 0, 1, 31},
                {4, 4, 4, 1, 2, 4, 8}}) {
            int cin = c[0], cout = c[1], kw = c[2], stride = c[3], pad = c[4], groups = c[5], len = c[6];
            int lout = (len + 2 * pad - kw) / stride + 1;
            Tensor x = random(2, cin, len), w = random(cout, cin / groups, kw), b = random(cout);
            check("conv1d " + java.util.Arrays.toString(c), new int[] {2, cout, lout},
                    out -> REF.conv1d(x, w, b, stride, pad, groups, out),
                    (dy, g) -> REF.conv1dBackward(x, w, dy, stride, pad, groups, g[0], g[1], g[2]), x, w, b);
        }
    }

    @Test
    void conv2d() {
        // {cin, cout, kh, kw, strideH, strideW, padH, padW, groups}: AASIST's (2,3) pad (1,1) and (0,1), 1x3,
        // grouped and strided
        for (int[] c : new int[][] {{3, 4, 2, 3, 1, 1, 1, 1, 1}, {3, 2, 2, 3, 1, 1, 0, 1, 1}, {2, 3, 1, 3, 1, 1, 0, 1, 1},
                {4, 6, 2, 3, 1, 2, 1, 1, 2}, {4, 2, 3, 2, 2, 1, 1, 0, 1}}) {
            int cin = c[0], cout = c[1], kh = c[2], kw = c[3], sh = c[4], sw = c[5], ph = c[6], pw = c[7], groups = c[8];
            int h = 5, wd = 7, ho = (h + 2 * ph - kh) / sh + 1, wo = (wd + 2 * pw - kw) / sw + 1;
            Tensor x = random(2, cin, h, wd), w = random(cout, cin / groups, kh, kw), b = random(cout);
            check("conv2d " + java.util.Arrays.toString(c), new int[] {2, cout, ho, wo},
                    out -> REF.conv2d(x, w, b, sh, sw, ph, pw, groups, out),
                    (dy, g) -> REF.conv2dBackward(x, w, dy, sh, sw, ph, pw, groups, g[0], g[1], g[2]), x, w, b);
        }
    }

    @Test
    void layerNorm() {
        Tensor x = random(3, 2, 6), w = random(6), b = random(6);
        check("layerNorm affine", x.shape(), out -> REF.layerNorm(x, w, b, 1e-5f, out),
                (dy, g) -> REF.layerNormBackward(x, w, 1e-5f, dy, g[0], g[1], g[2]), x, w, b);
        check("layerNorm plain", x.shape(), out -> REF.layerNorm(x, null, null, 1e-5f, out),
                (dy, g) -> REF.layerNormBackward(x, null, 1e-5f, dy, g[0], null, null), x);
    }

    @Test
    void layerNormChannels() {
        Tensor x = random(2, 5, 4), w = random(5), b = random(5);
        check("layerNormChannels", x.shape(), out -> REF.layerNormChannels(x, w, b, 1e-5f, out),
                (dy, g) -> REF.layerNormChannelsBackward(x, w, 1e-5f, dy, g[0], g[1], g[2]), x, w, b);
    }

    @Test
    void groupNorm() {
        for (int groups : new int[] {1, 3, 6}) {
            Tensor x = random(2, 6, 5), w = random(6), b = random(6);
            check("groupNorm groups=" + groups, x.shape(), out -> REF.groupNorm(x, groups, w, b, 1e-5f, out),
                    (dy, g) -> REF.groupNormBackward(x, groups, w, 1e-5f, dy, g[0], g[1], g[2]), x, w, b);
        }
    }

    @Test
    void batchNormTrainIsDifferentiatedThroughItsBatchStatistics() {
        for (int[] shape : new int[][] {{3, 4, 5}, {2, 3, 2, 4}, {5, 2}}) {
            int c = shape[1];
            Tensor x = random(shape), w = random(c), b = random(c);
            Tensor mean = random(c), inv = random(c), scratchMean = random(c), scratchInv = random(c);
            check("batchNormTrain " + java.util.Arrays.toString(shape), shape,
                    out -> REF.batchNormTrain(x, w, b, null, null, 0.1f, 1e-5f, out, scratchMean, scratchInv),
                    (dy, g) -> {
                        REF.batchNormTrain(x, w, b, null, null, 0.1f, 1e-5f, Tensor.zeros(arena, DType.F64, shape),
                                mean, inv);
                        REF.batchNormBackward(x, w, mean, inv, dy, g[0], g[1], g[2]);
                    }, x, w, b);
            check("batchNormTrain without affine " + java.util.Arrays.toString(shape), shape,
                    out -> REF.batchNormTrain(x, null, null, null, null, 0.1f, 1e-5f, out, null, null),
                    (dy, g) -> {
                        REF.batchNormTrain(x, null, null, null, null, 0.1f, 1e-5f,
                                Tensor.zeros(arena, DType.F64, shape), mean, inv);
                        REF.batchNormBackward(x, null, mean, inv, dy, g[0], null, null);
                    }, x);
        }
    }

    @Test
    void batchNormTrainUpdatesRunningStatisticsAsTorch() {
        int batch = 3, c = 2, len = 4, n = batch * len;
        Tensor x = random(batch, c, len), rm = random(c), rv = random(c), rm0 = copyOf(rm), rv0 = copyOf(rv);
        Tensor mean = random(c), inv = random(c), out = Tensor.zeros(arena, DType.F64, x.shape());
        float momentum = 0.1f, eps = 1e-5f;
        REF.batchNormTrain(x, null, null, rm, rv, momentum, eps, out, mean, inv);
        for (int ch = 0; ch < c; ch++) {
            double s = 0, sq = 0;
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < len; t++) {
                    s += x.getDouble((b * c + ch) * len + t);
                }
            }
            double m = s / n;
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < len; t++) {
                    double d = x.getDouble((b * c + ch) * len + t) - m;
                    sq += d * d;
                }
            }
            assertEquals(m, mean.getDouble(ch), 1e-12);
            assertEquals(1 / Math.sqrt(sq / n + eps), inv.getDouble(ch), 1e-9);
            assertEquals((1 - momentum) * rm0.getDouble(ch) + momentum * m, rm.getDouble(ch), 1e-12);
            // torch: the running variance takes the unbiased estimate, normalisation the biased one
            assertEquals((1 - momentum) * rv0.getDouble(ch) + momentum * sq / (n - 1), rv.getDouble(ch), 1e-12);
        }
    }

    /** Numbers from torch 2.13 (BatchNorm1d in train mode, then backward; max_pool2d with ties). */
    @Test
    void matchesTorchOnAFixedExample() {
        Tensor x = Tensor.of(arena, new float[] {0.5f, -1f, 2f, 1.5f, 0.25f, -0.75f, 3f, 1f, -2f, 0f, 0.5f, 1f}, 2, 2, 3);
        Tensor w = Tensor.of(arena, new float[] {1.5f, -0.5f}, 2), b = Tensor.of(arena, new float[] {0.25f, 1f}, 2);
        Tensor rm = Tensor.of(arena, new float[] {0.2f, -0.1f}, 2), rv = Tensor.of(arena, new float[] {1.1f, 0.9f}, 2);
        Tensor out = Tensor.zeros(arena, 2, 2, 3), mean = Tensor.zeros(arena, 2), inv = Tensor.zeros(arena, 2);
        REF.batchNormTrain(x, w, b, rm, rv, 0.1f, 1e-5f, out, mean, inv);
        assertClose(new float[] {0.2383333295583725f, -0.04833332821726799f}, rm, 1e-6);
        assertClose(new float[] {1.3341666460037231f, 0.8716666102409363f}, rv, 1e-6);
        assertClose(new float[] {0.17618995904922485f, -1.152390956878662f, 1.5047708749771118f, 0.24439767003059387f,
                1.1162464618682861f, 1.8137255907058716f, 2.390491485595703f, 0.6190502643585205f, -2.038111686706543f,
                1.2906162738800049f, 0.9418767690658569f, 0.5931372046470642f}, out, 1e-5);
        Tensor dy = Tensor.of(arena, new float[] {1, 2, 3, -1, 0.5f, 2, 0.3f, -2, 1, 1, 1, -1}, 2, 2, 3);
        Tensor dx = Tensor.zeros(arena, 2, 2, 3), dw = Tensor.zeros(arena, 2), db = Tensor.zeros(arena, 2);
        REF.batchNormBackward(x, w, mean, inv, dy, dx, dw, db);
        assertClose(new float[] {0.09607820212841034f, 0.8511930704116821f, 1.9981251955032349f, -0.09423299133777618f,
                0.10838877409696579f, 0.061242371797561646f, -0.3062499165534973f, -2.517548084259033f,
                -0.12159810215234756f, 0.009417276829481125f, -0.4901188313961029f, 0.40530312061309814f}, dx, 1e-5);
        assertClose(new float[] {-0.9988958239555359f, -6.161065101623535f}, dw, 1e-5);
        assertClose(new float[] {5.3f, 2.5f}, db, 1e-6);
        // Ties go to the first maximum in row-major order.
        Tensor p = Tensor.of(arena, new float[] {1, 3, 3, 0, 3, 2, 1, 3}, 1, 1, 2, 4), dp = Tensor.zeros(arena, 1, 1, 2, 4);
        REF.maxPool2dBackward(p, 2, 2, Tensor.of(arena, new float[] {1, 10}, 1, 1, 1, 2), dp);
        assertClose(new float[] {0, 1, 10, 0, 0, 0, 0, 0}, dp, 0);
    }

    private static void assertClose(float[] expected, Tensor actual, double tol) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.getFloat(i), tol * (1 + Math.abs(expected[i])), "element " + i);
        }
    }

    @Test
    void softmax() {
        Tensor x = random(3, 7), y = Tensor.zeros(arena, DType.F64, 3, 7);
        check("softmax", x.shape(), out -> REF.softmax(x, out), (dy, g) -> {
            REF.softmax(x, y);
            REF.softmaxBackward(y, dy, g[0]);
        }, x);
    }

    @Test
    void everyActivation() {
        for (Activation f : Activation.values()) {
            Tensor x = random(40);
            // Keep clear of the kinks at 0 (abs, relu, selu), where finite differences straddle two branches.
            for (long i = 0; i < x.numel(); i++) {
                double v = x.getDouble(i);
                x.setDouble(i, v + Math.copySign(0.05, v));
            }
            Tensor y = Tensor.zeros(arena, DType.F64, 40);
            check("activation " + f, x.shape(), out -> REF.activation(f, x, out), (dy, g) -> {
                REF.activation(f, x, y);
                REF.activationBackward(f, x, y, dy, g[0]);
            }, x);
        }
    }

    @Test
    void activationDerivativesAtZeroAreTorchs() {
        // torch: abs'(0) = sgn(0) = 0, relu'(0) = 0 (threshold_backward passes x > 0 only)
        assertEquals(0.0, Activation.ABS.derivative(0.0));
        assertEquals(0.0, Activation.RELU.derivative(0.0));
        assertEquals(0.5, Activation.GELU.derivative(0.0), 1e-15);
        assertEquals(0.25, Activation.SIGMOID.derivative(0.0), 1e-15);
        assertEquals(1.0, Activation.TANH.derivative(0.0), 1e-15);
    }

    @Test
    void maxPool2dWithoutTies() {
        for (int[] k : new int[][] {{3, 3}, {1, 3}, {2, 2}}) {
            // Distinct values 0.05 apart: no window's maximum changes under a step of 1e-6.
            int h = 6, w = 10;
            Tensor x = Tensor.zeros(arena, DType.F64, 2, 2, h, w);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < x.numel(); i++) {
                order.add(i);
            }
            Collections.shuffle(order, rnd);
            for (int i = 0; i < order.size(); i++) {
                x.setDouble(i, 0.05 * order.get(i) - 5);
            }
            int ho = h / k[0], wo = w / k[1];
            check("maxPool2d " + k[0] + "x" + k[1], new int[] {2, 2, ho, wo}, out -> REF.maxPool2d(x, k[0], k[1], out),
                    (dy, g) -> REF.maxPool2dBackward(x, k[0], k[1], dy, g[0]), x);
        }
    }
}
