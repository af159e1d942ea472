package org.sdd4j.backend.cuda;

import java.lang.foreign.Arena;
import java.util.function.BiConsumer;

import org.junit.jupiter.api.Test;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.ReferenceBackend;
import org.sdd4j.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every {@link Backend} operation of {@link CudaBackend} (cuBLASLt products, im2col convolutions, pooling,
 * batch norm, channel layer norm, broadcast add) and the layout/graph kernels, forward and backward, against
 * {@link ReferenceBackend} on fresh random inputs. Device outputs are poisoned with NaN first, gradient
 * targets start from the same random values on both sides (gradients accumulate). Skipped, with the
 * reason, without a usable GPU.
 */
class CudaBackendOpsTest extends GpuOpsFixture {
    /** float32 tolerance (relative L2); TF32 and bfloat16: {@link #reducedPrecisionProductsStayWithinTheirTolerance}. */
    private static final double F32 = 2e-5;

    private Tensor poisoned(int... shape) {
        Tensor t = Tensor.zeros(arena, shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setFloat(i, Float.NaN);
        }
        return dev(t);
    }

    private void assertClose(Tensor expected, Tensor device, double tol, String what) {
        Tensor actual = gpu.toHost(device, arena);
        double num = 0, den = 0;
        for (long i = 0; i < expected.numel(); i++) {
            double e = expected.getFloat(i), a = actual.getFloat(i);
            assertFalse(Double.isNaN(a), what + ": NaN at " + i);
            num += (e - a) * (e - a);
            den += e * e;
        }
        double rel = Math.sqrt(num / Math.max(den, 1e-30));
        assertTrue(rel < tol, what + ": relative error " + rel + " >= " + tol);
    }

    /** Runs a gradient step on both backends from the same starting gradient and compares. */
    private void assertGradient(String what, Tensor start, BiConsumer<Backend, Tensor> step) {
        Tensor host = Tensor.zeros(arena, start.shape());
        host.copyFrom(start);
        Tensor device = dev(start);
        step.accept(ref, host);
        step.accept(gpu, device);
        assertClose(host, device, F32 * 10, what);
    }

    /**
     * Host tensors are read as cached parameter copies, so a kernel writing one would change only the copy: the
     * backend refuses host outputs and gradients by name, before queuing anything, and lets null ("not wanted") pass.
     */
    @Test
    void hostOutputsAreRefused() {
        Tensor x = randn(4, 8), hostOut = Tensor.zeros(arena, 4, 8);
        var e = assertThrows(IllegalArgumentException.class, () -> gpu.softmax(dev(x), hostOut));
        assertTrue(e.getMessage().contains("softmax") && e.getMessage().contains("host"), e.getMessage());
        Tensor w = randn(3, 8), dy = randn(4, 3), hostDw = Tensor.zeros(arena, 3, 8);
        e = assertThrows(IllegalArgumentException.class,
                () -> gpu.linearBackward(dev(x), w, dev(dy), null, hostDw, null, 4, 3, 8));
        assertTrue(e.getMessage().contains("linearBackward"), e.getMessage());
        assertEquals(0f, hostDw.getFloat(0), "nothing was written");
        Tensor dx = poisoned(4, 8);
        gpu.fill(dx, 0f);
        gpu.linearBackward(dev(x), w, dev(dy), dx, null, null, 4, 3, 8); // null dw, db: not wanted
        Tensor expected = Tensor.zeros(arena, 4, 8);
        ref.linearBackward(x, w, dy, expected, null, null, 4, 3, 8);
        assertClose(expected, dx, F32, "linear dx beside refused outputs");
    }

    @Test
    void linearWithBiasEpilogueAndBackward() {
        int m = 37, n = 29, k = 70;
        Tensor a = randn(m, k), w = randn(n, k), b = randn(n), dy = randn(m, n);
        Tensor expected = Tensor.zeros(arena, m, n), out = poisoned(m, n);
        ref.linear(a, w, b, expected, m, n, k);
        gpu.linear(dev(a), w, b, out, m, n, k); // w and b as host parameters: the upload-once path
        assertClose(expected, out, F32, "linear");
        assertGradient("linear dx", randn(m, k), (be, g) -> be.linearBackward(
                be == gpu ? dev(a) : a, w, be == gpu ? dev(dy) : dy, g, null, null, m, n, k));
        assertGradient("linear dw", randn(n, k), (be, g) -> be.linearBackward(
                be == gpu ? dev(a) : a, w, be == gpu ? dev(dy) : dy, null, g, null, m, n, k));
        assertGradient("linear db", randn(n), (be, g) -> be.linearBackward(
                be == gpu ? dev(a) : a, w, be == gpu ? dev(dy) : dy, null, null, g, m, n, k));
    }

    @Test
    void batchedMatmulBothLayoutsAndBackward() {
        int batch = 3, m = 11, n = 13, k = 17;
        for (boolean transB : new boolean[] {false, true}) {
            Tensor a = randn(batch, m, k), b = transB ? randn(batch, n, k) : randn(batch, k, n), dy = randn(batch, m, n);
            Tensor expected = Tensor.zeros(arena, batch, m, n), out = poisoned(batch, m, n);
            ref.batchedMatmul(a, b, transB, expected, batch, m, n, k);
            gpu.batchedMatmul(dev(a), dev(b), transB, out, batch, m, n, k);
            assertClose(expected, out, F32, "bmm transB=" + transB);
            assertGradient("bmm da " + transB, randn(a.shape()), (be, g) -> be.batchedMatmulBackward(
                    be == gpu ? dev(a) : a, be == gpu ? dev(b) : b, transB, be == gpu ? dev(dy) : dy, g, null, batch,
                    m, n, k));
            assertGradient("bmm db " + transB, randn(b.shape()), (be, g) -> be.batchedMatmulBackward(
                    be == gpu ? dev(a) : a, be == gpu ? dev(b) : b, transB, be == gpu ? dev(dy) : dy, null, g, batch,
                    m, n, k));
        }
    }

    @Test
    void convolutionsGroupedStridedPaddedAndBackward() {
        // conv2d: AASIST's residual-block shape family; conv1d: grouped, strided, like the positional conv.
        Tensor x = randn(2, 4, 7, 23), w = randn(6, 2, 2, 3), b = randn(6);
        int[][] geometry = {{1, 1, 1, 1}, {1, 2, 0, 1}, {2, 3, 1, 0}};
        for (int[] g : geometry) {
            int ho = (7 + 2 * g[2] - 2) / g[0] + 1, wo = (23 + 2 * g[3] - 3) / g[1] + 1;
            Tensor expected = Tensor.zeros(arena, 2, 6, ho, wo), out = poisoned(2, 6, ho, wo);
            ref.conv2d(x, w, b, g[0], g[1], g[2], g[3], 2, expected);
            gpu.conv2d(dev(x), w, b, g[0], g[1], g[2], g[3], 2, out);
            assertClose(expected, out, F32, "conv2d " + java.util.Arrays.toString(g));
            Tensor dy = randn(2, 6, ho, wo);
            for (int which = 0; which < 3; which++) {
                final int q = which;
                Tensor start = randn(q == 0 ? x.shape() : q == 1 ? w.shape() : b.shape());
                assertGradient("conv2d grad " + q, start, (be, grad) -> be.conv2dBackward(be == gpu ? dev(x) : x,
                        be == gpu ? dev(w) : w, be == gpu ? dev(dy) : dy, g[0], g[1], g[2], g[3], 2,
                        q == 0 ? grad : null, q == 1 ? grad : null, q == 2 ? grad : null));
            }
        }
        Tensor x1 = randn(2, 8, 50), w1 = randn(8, 2, 6), b1 = randn(8);
        int lout = (50 + 2 * 3 - 6) / 2 + 1;
        Tensor expected = Tensor.zeros(arena, 2, 8, lout), out = poisoned(2, 8, lout);
        ref.conv1d(x1, w1, b1, 2, 3, 4, expected);
        gpu.conv1d(dev(x1), w1, b1, 2, 3, 4, out);
        assertClose(expected, out, F32, "conv1d");
        Tensor dy1 = randn(2, 8, lout);
        assertGradient("conv1d dx", randn(x1.shape()), (be, g) -> be.conv1dBackward(be == gpu ? dev(x1) : x1, w1,
                be == gpu ? dev(dy1) : dy1, 2, 3, 4, g, null, null));
        assertGradient("conv1d dw", randn(w1.shape()), (be, g) -> be.conv1dBackward(be == gpu ? dev(x1) : x1,
                be == gpu ? dev(w1) : w1, be == gpu ? dev(dy1) : dy1, 2, 3, 4, null, g, null));
    }

    @Test
    void poolingBatchNormChannelLayerNormAndAdd() {
        Tensor x = randn(2, 3, 9, 10), dy = randn(2, 3, 3, 3);
        Tensor expected = Tensor.zeros(arena, 2, 3, 3, 3), out = poisoned(2, 3, 3, 3);
        ref.maxPool2d(x, 3, 3, expected);
        gpu.maxPool2d(dev(x), 3, 3, out);
        assertClose(expected, out, 1e-7, "maxPool2d");
        assertGradient("maxPool2d backward", randn(x.shape()), (be, g) -> be.maxPool2dBackward(be == gpu ? dev(x) : x,
                3, 3, be == gpu ? dev(dy) : dy, g));

        Tensor mean = randn(3), var = Tensor.zeros(arena, 3), w = randn(3), b = randn(3);
        for (int c = 0; c < 3; c++) {
            var.setFloat(c, 0.5f + random.nextFloat());
        }
        Tensor bnE = Tensor.zeros(arena, x.shape()), bnG = poisoned(x.shape());
        ref.batchNorm(x, mean, var, w, b, 1e-5f, bnE);
        gpu.batchNorm(dev(x), mean, var, w, b, 1e-5f, bnG);
        assertClose(bnE, bnG, F32, "batchNorm eval");

        Tensor rmH = randn(3), rvH = Tensor.zeros(arena, 3);
        rvH.copyFrom(var);
        Tensor rmD = dev(rmH), rvD = dev(rvH);
        Tensor outH = Tensor.zeros(arena, x.shape()), smH = Tensor.zeros(arena, 3), isH = Tensor.zeros(arena, 3);
        Tensor outD = poisoned(x.shape()), smD = poisoned(3), isD = poisoned(3);
        ref.batchNormTrain(x, w, b, rmH, rvH, 0.1f, 1e-5f, outH, smH, isH);
        gpu.batchNormTrain(dev(x), w, b, rmD, rvD, 0.1f, 1e-5f, outD, smD, isD);
        assertClose(outH, outD, F32, "batchNorm train");
        assertClose(smH, smD, F32, "saved mean");
        assertClose(isH, isD, F32, "saved inverse std");
        assertClose(rmH, rmD, F32, "running mean");
        assertClose(rvH, rvD, F32, "running var");
        Tensor dyFull = randn(x.shape());
        assertGradient("batchNorm backward dx", randn(x.shape()), (be, g) -> be.batchNormBackward(
                be == gpu ? dev(x) : x, w, be == gpu ? smD : smH, be == gpu ? isD : isH, be == gpu ? dev(dyFull) : dyFull,
                g, null, null));

        Tensor xc = randn(2, 16, 31), wc = randn(16), bc = randn(16), dyc = randn(2, 16, 31);
        Tensor lnE = Tensor.zeros(arena, xc.shape()), lnG = poisoned(xc.shape());
        ref.layerNormChannels(xc, wc, bc, 1e-5f, lnE);
        gpu.layerNormChannels(dev(xc), wc, bc, 1e-5f, lnG);
        assertClose(lnE, lnG, F32, "layerNormChannels");
        assertGradient("layerNormChannels dx", randn(xc.shape()), (be, g) -> be.layerNormChannelsBackward(
                be == gpu ? dev(xc) : xc, wc, 1e-5f, be == gpu ? dev(dyc) : dyc, g, null, null));
        assertGradient("layerNormChannels dw", randn(16), (be, g) -> be.layerNormChannelsBackward(
                be == gpu ? dev(xc) : xc, wc, 1e-5f, be == gpu ? dev(dyc) : dyc, null, g, null));

        Tensor pos = randn(16, 31);
        Tensor addE = Tensor.zeros(arena, xc.shape()), addG = poisoned(xc.shape());
        ref.add(xc, pos, addE);
        gpu.add(dev(xc), dev(pos), addG);
        assertClose(addE, addG, 1e-7, "add broadcast");
    }

    /**
     * Reduced-precision products round their inputs (so they differ from float32 by more than float32's own
     * error) and stay within their tolerances: TF32 3e-3, bfloat16 1.2e-2 relative L2 (three fewer mantissa bits,
     * eight times TF32's rounding step).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"TF32, 3e-3", "BF16, 1.2e-2"})
    void reducedPrecisionProductsStayWithinTheirTolerance(MatmulPrecision precision, double tolerance) {
        int m = 64, n = 48, k = 512;
        Tensor a = randn(m, k), w = randn(n, k);
        Tensor expected = Tensor.zeros(arena, m, n);
        ref.linear(a, w, null, expected, m, n, k);
        // The device tensors' arena closes before their backend does.
        try (CudaBackend reduced = TestGpu.open(precision); Arena onDevice = Arena.ofConfined()) {
            Tensor out = reduced.toDevice(Tensor.zeros(arena, m, n), onDevice);
            reduced.linear(reduced.toDevice(a, onDevice), w, null, out, m, n, k);
            Tensor actual = reduced.toHost(out, arena);
            double num = 0, den = 0;
            for (long i = 0; i < expected.numel(); i++) {
                double d = expected.getFloat(i) - actual.getFloat(i);
                num += d * d;
                den += (double) expected.getFloat(i) * expected.getFloat(i);
            }
            double rel = Math.sqrt(num / den);
            System.out.printf("%s products: relative L2 error %.2e%n", precision, rel);
            assertTrue(rel < tolerance, precision + " relative error " + rel);
            assertTrue(rel > 1e-4, precision + ": the products were not rounded (relative error " + rel + ")");
        }
    }

    @Test
    void layoutKernelsMatchTheirDefinitions() {
        Tensor x = randn(2, 3, 4, 5);
        Tensor out = poisoned(4, 2, 5, 3);
        gpu.permute(dev(x), new int[] {2, 0, 3, 1}, out);
        Tensor expected = Tensor.zeros(arena, 4, 2, 5, 3);
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 3; b++) {
                for (int c = 0; c < 4; c++) {
                    for (int d = 0; d < 5; d++) {
                        expected.setFloat(((c * 2 + a) * 5 + d) * 3 + b, x.getFloat(((a * 3 + b) * 4 + c) * 5 + d));
                    }
                }
            }
        }
        assertClose(expected, out, 1e-7, "permute");

        Tensor red = poisoned(2, 5);
        Tensor flat = x.reshape(2, 12, 5);
        gpu.reduce(org.sdd4j.backend.Reduction.MAX_ABS, dev(flat), 2, 12, 5, red);
        Tensor redE = Tensor.zeros(arena, 2, 5);
        for (int o = 0; o < 2; o++) {
            for (int q = 0; q < 5; q++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int t = 0; t < 12; t++) {
                    m = Math.max(m, Math.abs(flat.getFloat((o * 12 + t) * 5 + q)));
                }
                redE.setFloat(o * 5 + q, m);
            }
        }
        assertClose(redE, red, 1e-7, "reduce max|x|");

        Tensor master = randn(2, 1, 5), nodes = randn(2, 12, 5);
        Tensor prod = poisoned(2, 12, 5);
        gpu.mul(dev(nodes), dev(master), 12, 5, prod);
        Tensor prodE = Tensor.zeros(arena, 2, 12, 5);
        for (int i = 0; i < prodE.numel(); i++) {
            prodE.setFloat(i, nodes.getFloat(i) * master.getFloat((i / 60) * 5 + i % 5));
        }
        assertClose(prodE, prod, 1e-7, "mul with a middle broadcast");
    }

    /** A host mask of one byte per element of an {@code n}-element tensor, each dropped with probability 1/2. */
    private Tensor randomMask(long n) {
        Tensor mask = Tensor.zeros(arena, (int) ((n + 3) / 4));
        for (long i = 0; i < n; i++) {
            mask.data().set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (random.nextBoolean() ? 1 : 0));
        }
        return mask;
    }

    @Test
    void dropoutAppliesTheDrawnMask() {
        Tensor x = randn(3, 37), mask = randomMask(x.numel());
        Tensor expected = Tensor.zeros(arena, x.shape()), out = poisoned(x.shape());
        ref.dropout(x, mask, 1.25f, expected);
        gpu.dropout(dev(x), dev(mask), 1.25f, out);
        assertClose(expected, out, 1e-7, "dropout");
        long dropped = 0;
        for (long i = 0; i < x.numel(); i++) {
            dropped += expected.getFloat(i) == 0 ? 1 : 0;
        }
        assertTrue(dropped > 0 && dropped < x.numel(), "the mask drops some elements and keeps others");
    }

    @Test
    void weightNormOverEveryDimensionButOne() {
        // wav2vec 2.0's positional kernel layout [C, C / G, K], normalised per k (dim 2), and dim 0 as well.
        Tensor v = randn(6, 3, 5);
        for (int dim : new int[] {2, 0}) {
            Tensor g = randn(v.dim(dim)), expected = Tensor.zeros(arena, v.shape()), out = poisoned(v.shape());
            ref.weightNorm(g, v, dim, expected);
            gpu.weightNorm(dev(g), dev(v), dim, out);
            assertClose(expected, out, 1e-6, "weight norm over dim " + dim);
        }
    }

    @Test
    void topKRanksByDescendingScoreWithTiesToTheLowerNode() {
        // Scores drawn from a few values, so that ties are common; -0 and +0 both appear.
        float[] values = {0.25f, 0.5f, 0.5f, -0f, 0f, 0.75f};
        int b = 3, n = 29, keep = 11;
        Tensor scores = Tensor.zeros(arena, b, n);
        for (long i = 0; i < scores.numel(); i++) {
            scores.setFloat(i, values[random.nextInt(values.length)]);
        }
        Tensor expected = Tensor.zeros(arena, org.sdd4j.tensor.DType.I32, b, keep);
        ref.topK(scores, keep, expected);
        Tensor idx = gpu.toDevice(Tensor.zeros(arena, b, keep), arena).as(org.sdd4j.tensor.DType.I32);
        gpu.topK(dev(scores), keep, idx);
        Tensor actual = gpu.toHost(idx.as(org.sdd4j.tensor.DType.F32), arena).as(org.sdd4j.tensor.DType.I32);
        for (long i = 0; i < expected.numel(); i++) {
            assertEquals(expected.data().getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, i),
                    actual.data().getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, i), "rank " + i % keep + " of row "
                            + i / keep);
        }
    }

    /**
     * cuBLASLt is told the real alignment of each operand (its heuristic otherwise assumes 256 bytes), and a bias
     * that cannot ride on the epilogue (not 16-byte aligned) is added after the product instead.
     */
    @Test
    void productsOfViewsAtAnyAlignmentAndAnUnalignedBias() {
        assertEquals(256, Gemm.alignment(0x10000, 0, 1));
        assertEquals(64, Gemm.alignment(0x10040, 0, 1));
        assertEquals(4, Gemm.alignment(0x10000, 3, 2), "a batch stride of 3 floats");
        assertEquals(256, Gemm.alignment(0x10000, 3, 1), "no stride without a batch");

        int m = 5, n = 7, k = 9;
        Tensor a = randn(m, k), w = randn(n, k), bias = randn(n);
        Tensor expected = Tensor.zeros(arena, m, n);
        ref.linear(a, w, bias, expected, m, n, k);
        // Views one float into their blocks: 4-byte aligned operands and bias.
        Tensor a1 = Tensor.zeros(arena, m * k + 1), w1 = Tensor.zeros(arena, n * k + 1), b1 = Tensor.zeros(arena, n + 1);
        a1.view(1, m, k).copyFrom(a);
        w1.view(1, n, k).copyFrom(w);
        b1.view(1, n).copyFrom(bias);
        Tensor out = poisoned(m, n);
        gpu.linear(dev(a1).view(1, m, k), dev(w1).view(1, n, k), dev(b1).view(1, n), out, m, n, k);
        assertClose(expected, out, F32, "linear of unaligned views");
    }
}
