package org.sdd4j.backend.cuda;

import java.util.function.BiConsumer;

import org.junit.jupiter.api.Test;
import org.sdd4j.backend.Reduction;
import org.sdd4j.backend.ReferenceBackend;
import org.sdd4j.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The GPU's backward glue and training-only operations (those whose host versions are loops in HostGlue and
 * HostTraining rather than products or norms that the ops test compares directly), each checked as a
 * vector-Jacobian product against {@link ReferenceBackend}'s
 * forward: for a random direction {@code v} of one input, {@code <grad, v>} must equal
 * {@code <dy, F(x + h v) - F(x - h v)> / 2h}. The ops are linear, bilinear or piecewise linear in each input, so
 * the central difference is exact up to rounding (for the piecewise ones, the inputs keep their orderings at
 * least 0.1 apart and steps stay below that); attentive pooling, smooth through its softmax, takes a small step
 * and a looser tolerance. Directions are uniform in [-1, 1]. Gradients start from random values and must grow
 * by exactly the product (they accumulate).
 */
class CudaBackwardOpsTest extends GpuOpsFixture {
    private static double dot(Tensor a, Tensor b) {
        double s = 0;
        for (long i = 0; i < a.numel(); i++) {
            s += (double) a.getFloat(i) * b.getFloat(i);
        }
        return s;
    }

    /** {@code x + step * v}, a new host tensor. */
    private Tensor shifted(Tensor x, Tensor v, double step) {
        Tensor t = Tensor.zeros(arena, x.shape());
        for (long i = 0; i < x.numel(); i++) {
            t.setFloat(i, (float) (x.getFloat(i) + step * v.getFloat(i)));
        }
        return t;
    }

    /**
     * One input's VJP check. {@code forward} fills its output (shaped as {@code dy}) from the inputs with input
     * {@code k} replaced; {@code backward} runs the GPU backward with device {@code dy} and accumulates into the
     * device gradient of input {@code k} it is given.
     */
    private void assertVjp(String what, Tensor[] inputs, int k, Tensor dy, double h,
                           BiConsumer<Tensor[], Tensor> forward, BiConsumer<Tensor, Tensor> backward) {
        assertVjp(what, inputs, k, dy, h, 1e-4, forward, backward);
    }

    /** As above, to relative tolerance {@code tol} (smooth nonlinear ops: the difference is O(h^2) off). */
    private void assertVjp(String what, Tensor[] inputs, int k, Tensor dy, double h, double tol,
                           BiConsumer<Tensor[], Tensor> forward, BiConsumer<Tensor, Tensor> backward) {
        Tensor v = Tensor.zeros(arena, inputs[k].shape());
        for (long i = 0; i < v.numel(); i++) {
            v.setFloat(i, 2 * random.nextFloat() - 1);
        }
        Tensor[] plus = inputs.clone(), minus = inputs.clone();
        plus[k] = shifted(inputs[k], v, h);
        minus[k] = shifted(inputs[k], v, -h);
        Tensor yPlus = Tensor.zeros(arena, dy.shape()), yMinus = Tensor.zeros(arena, dy.shape());
        forward.accept(plus, yPlus);
        forward.accept(minus, yMinus);
        double expected = (dot(dy, yPlus) - dot(dy, yMinus)) / (2 * h);

        Tensor start = randn(inputs[k].shape());
        Tensor grad = dev(start);
        backward.accept(dev(dy), grad);
        Tensor after = gpu.toHost(grad, arena);
        double actual = dot(after, v) - dot(start, v);
        for (long i = 0; i < after.numel(); i++) {
            assertTrue(Float.isFinite(after.getFloat(i)), what + ": gradient " + i + " is " + after.getFloat(i));
        }
        double scale = Math.abs(expected) + Math.sqrt(dot(start, start) * dot(v, v)) * 1e-3 + 1e-6;
        assertEquals(expected, actual, tol * scale, what + ": <grad, v> against the reference forward's derivative");
    }

    @Test
    void mulBackwardGivesBothOperandsGradients() {
        int outer = 3, mid = 5, inner = 7;
        Tensor a = randn(outer, mid, inner), b = randn(outer, 1, inner), dy = randn(outer, mid, inner);
        Tensor[] in = {a, b};
        BiConsumer<Tensor[], Tensor> f = (x, y) -> ref.mul(x[0], x[1], mid, inner, y);
        assertVjp("mul da", in, 0, dy, 1, f, (g, da) -> gpu.mulBackward(dev(a), dev(b), g, mid, inner, da, null));
        assertVjp("mul db", in, 1, dy, 1, f, (g, db) -> gpu.mulBackward(dev(a), dev(b), g, mid, inner, null, db));
    }

    @Test
    void maximumBackwardRoutesTheGradientToTheLargerOperand() {
        int n = 1000;
        Tensor a = randn(n), b = Tensor.zeros(arena, n), dy = randn(n);
        for (int i = 0; i < n; i++) { // at least 0.1 apart: a step of 0.04 never changes which is larger
            b.setFloat(i, a.getFloat(i) + (random.nextBoolean() ? 1 : -1) * (0.1f + (float) Math.abs(random.nextGaussian())));
        }
        Tensor[] in = {a, b};
        BiConsumer<Tensor[], Tensor> f = (x, y) -> ref.maximum(x[0], x[1], y);
        assertVjp("maximum da", in, 0, dy, 0.04, f, (g, da) -> gpu.maximumBackward(dev(a), dev(b), g, da, null));
        assertVjp("maximum db", in, 1, dy, 0.04, f, (g, db) -> gpu.maximumBackward(dev(a), dev(b), g, null, db));
    }

    @Test
    void reduceBackwardForEveryKind() {
        int outer = 4, len = 9, inner = 6;
        for (Reduction kind : Reduction.values()) {
            Tensor x = Tensor.zeros(arena, outer, len, inner), dy = randn(outer, inner);
            // Each window holds a shuffled ladder of magnitudes 0.2 apart, random signs: a step of 0.04 never
            // changes which element is the largest, in value or in magnitude.
            for (int o = 0; o < outer; o++) {
                for (int q = 0; q < inner; q++) {
                    java.util.List<Integer> ladder = new java.util.ArrayList<>(java.util.stream.IntStream.range(0, len)
                            .boxed().toList());
                    java.util.Collections.shuffle(ladder, random);
                    for (int t = 0; t < len; t++) {
                        float magnitude = 0.2f * (ladder.get(t) + 1) + 0.01f * random.nextFloat();
                        x.setFloat(((long) o * len + t) * inner + q, random.nextBoolean() ? magnitude : -magnitude);
                    }
                }
            }
            assertVjp("reduce " + kind, new Tensor[] {x}, 0, dy, 0.04,
                    (in, y) -> ref.reduce(kind, in[0], outer, len, inner, y),
                    (g, dx) -> gpu.reduceBackward(kind, dev(x), g, outer, len, inner, dx));
        }
    }

    @Test
    void pairwiseProductBackward() {
        Tensor x = randn(2, 5, 3), dy = randn(2, 5, 5, 3);
        assertVjp("pairwise product", new Tensor[] {x}, 0, dy, 1, (in, y) -> ref.pairwiseProduct(in[0], y),
                (g, dx) -> gpu.pairwiseProductBackward(dev(x), g, dx));
    }

    @Test
    void pairScoresBackwardForNodesAndEachAttentionVector() {
        int b = 2, n = 4, dout = 6;
        Tensor h = randn(b, n, n, dout), ds = randn(b, n, n);
        Tensor w0 = randn(dout), w1 = randn(dout), w2 = randn(dout);
        int[] weightOfPair = new int[n * n];
        for (int i = 0; i < weightOfPair.length; i++) {
            weightOfPair[i] = i % 3 == 0 ? 0 : (i % 3 == 1 ? 1 : 2);
        }
        float temperature = 2f;
        Tensor[] in = {h, w0, w1, w2};
        BiConsumer<Tensor[], Tensor> f = (x, s) -> ref.pairScores(x[0], new Tensor[] {x[1], x[2], x[3]}, weightOfPair,
                temperature, s);
        Tensor[] weights = {dev(w0), dev(w1), dev(w2)};
        assertVjp("pair scores dh", in, 0, ds, 1, f,
                (g, dh) -> gpu.pairScoresBackward(dev(h), weights, weightOfPair, temperature, g, dh,
                        new Tensor[] {null, null, null}));
        for (int w = 0; w < 3; w++) {
            int which = w;
            assertVjp("pair scores dW" + w, in, 1 + w, ds, 1, f, (g, dw) -> {
                Tensor[] dWeights = {null, null, null};
                dWeights[which] = dw;
                gpu.pairScoresBackward(dev(h), weights, weightOfPair, temperature, g, null, dWeights);
            });
        }
    }

    @Test
    void gatherScaledBackwardForFeaturesAndScores() {
        int b = 2, n = 7, d = 5;
        Tensor idx = indices(new int[][] {{4, 0, 6}, {1, 5, 2}});
        Tensor h = randn(b, n, d), s = randn(b, n, 1), dy = randn(b, idx.dim(1), d);
        Tensor[] in = {h, s};
        Tensor deviceIdx = dev(idx.as(org.sdd4j.tensor.DType.F32)).as(org.sdd4j.tensor.DType.I32);
        BiConsumer<Tensor[], Tensor> f = (x, y) -> ref.gatherScaled(x[0], x[1], idx, y);
        assertVjp("gather scaled dh", in, 0, dy, 1, f,
                (g, dh) -> gpu.gatherScaledBackward(dev(h), dev(s), deviceIdx, g, dh, null));
        assertVjp("gather scaled ds", in, 1, dy, 1, f,
                (g, ds) -> gpu.gatherScaledBackward(dev(h), dev(s), deviceIdx, g, null, ds));
    }

    @Test
    void attentivePoolBackwardAlongTimeAndFrequency() {
        int b = 2, c = 3, f = 4, t = 5;
        for (int dim : new int[] {3, 2}) {
            Tensor x = randn(b, c, f, t), w = randn(b, c, f, t);
            Tensor dy = randn(b, c, dim == 3 ? f : t);
            Tensor[] in = {x, w};
            BiConsumer<Tensor[], Tensor> pool = (q, y) -> ref.attentivePool(q[0], q[1], dim, y,
                    Tensor.zeros(arena, b, c, f, t));
            // The forward's softmax weights and output, on the device, as the backward reads them.
            Tensor p = gpu.toDevice(Tensor.zeros(arena, b, c, f, t), arena);
            Tensor out = gpu.toDevice(Tensor.zeros(arena, dy.shape()), arena);
            gpu.attentivePool(dev(x), dev(w), dim, out, p);
            assertVjp("attentive pool dx (dim " + dim + ")", in, 0, dy, 1, pool,
                    (g, dx) -> gpu.attentivePoolBackward(dev(x), p, out, dim, g, dx, null));
            assertVjp("attentive pool dw (dim " + dim + ")", in, 1, dy, 1e-2, 2e-3, pool,
                    (g, dw) -> gpu.attentivePoolBackward(dev(x), p, out, dim, g, null, dw));
        }
    }

    @Test
    void batchNormEvalBackwardForInputAndAffine() {
        int b = 3, c = 4, len = 10;
        Tensor x = randn(b, c, len), dy = randn(b, c, len), mean = randn(c), weight = randn(c), bias = randn(c);
        Tensor var = Tensor.zeros(arena, c);
        for (int i = 0; i < c; i++) {
            var.setFloat(i, 0.5f + (float) Math.abs(random.nextGaussian()));
        }
        float eps = 1e-5f;
        Tensor[] in = {x, weight, bias};
        BiConsumer<Tensor[], Tensor> f = (p, y) -> ref.batchNorm(p[0], mean, var, p[1], p[2], eps, y);
        assertVjp("batch norm (eval) dx", in, 0, dy, 1, f,
                (g, dx) -> gpu.batchNormEvalBackward(dev(x), dev(mean), dev(var), dev(weight), eps, g, dx, null, null));
        assertVjp("batch norm (eval) dweight", in, 1, dy, 1, f,
                (g, dw) -> gpu.batchNormEvalBackward(dev(x), dev(mean), dev(var), dev(weight), eps, g, null, dw, null));
        assertVjp("batch norm (eval) dbias", in, 2, dy, 1, f,
                (g, db) -> gpu.batchNormEvalBackward(dev(x), dev(mean), dev(var), dev(weight), eps, g, null, null, db));
    }

    @Test
    void dropoutBackwardUsesTheForwardMask() {
        Tensor x = randn(4, 33), dy = randn(4, 33);
        Tensor mask = Tensor.zeros(arena, (int) ((x.numel() + 3) / 4));
        for (long i = 0; i < x.numel(); i++) {
            mask.data().set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (random.nextInt(3) == 0 ? 0 : 1));
        }
        float keep = 1.5f;
        assertVjp("dropout dx", new Tensor[] {x}, 0, dy, 1, (p, y) -> ref.dropout(p[0], mask, keep, y),
                (g, dx) -> gpu.dropoutBackward(dev(mask), keep, g, dx));
    }

    @Test
    void weightNormBackwardForMagnitudeAndDirection() {
        Tensor v = randn(6, 3, 5), dy = randn(6, 3, 5);
        for (int dim : new int[] {2, 0}) {
            Tensor g = randn(v.dim(dim));
            Tensor[] in = {g, v};
            BiConsumer<Tensor[], Tensor> f = (p, y) -> ref.weightNorm(p[0], p[1], dim, y);
            assertVjp("weight norm dg (dim " + dim + ")", in, 0, dy, 1, f,
                    (d, dg) -> gpu.weightNormBackward(dev(g), dev(v), dim, d, dg, null));
            // Smooth in v (through the norm): a small step, a looser tolerance.
            assertVjp("weight norm dv (dim " + dim + ")", in, 1, dy, 1e-2, 2e-3, f,
                    (d, dv) -> gpu.weightNormBackward(dev(g), dev(v), dim, d, null, dv));
        }
    }
}
