package org.sdd4j.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import org.sdd4j.backend.Activation;
import org.sdd4j.backend.Backend;
import org.sdd4j.tensor.Tensor;

/**
 * The portable fast CPU provider: Vector API kernels on a fixed thread pool. Convolutions are
 * im2col into a per-task buffer followed by {@link VectorGemm}, tiled over output positions so the
 * buffer stays in cache; linear layers compute {@code (W @ x^T)^T} so the weight streams from its
 * mapped segment untouched.
 *
 * <p>Backward passes are GEMMs too: linear and batched-matmul gradients are {@link VectorGemm} products of
 * transposed copies of the activations, convolution gradients go through {@link ConvBackward}; norm,
 * softmax and activation gradients are one or two vectorised passes over each normalised set.
 */
public class CpuBackend implements Backend {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int L = VectorGemm.L;
    /** Output positions per im2col tile: K x 512 floats stays within L2 for the K of these models. */
    private static final int TILE = 512;
    /** Vector chunks summed in float lanes before moving into a double total (keeps lane extractions rare). */
    private static final int BLOCK = 64;

    protected final Parallel parallel;
    private final org.sdd4j.tensor.MemoryPool memory = new org.sdd4j.tensor.MemoryPool();

    public CpuBackend(int threads) {
        this.parallel = new Parallel(threads);
    }

    @Override
    public String name() {
        return "cpu-vector(" + VectorGemm.S.vectorBitSize() + "-bit)";
    }

    @Override
    public int threads() {
        return parallel.threads();
    }

    @Override
    public org.sdd4j.tensor.MemoryPool memory() {
        return memory;
    }

    @Override
    public void close() {
        parallel.close();
        memory.close();
    }

    @Override
    public void linear(Tensor a, Tensor w, Tensor bias, Tensor out, int m, int n, int k) {
        // out^T[n, m] = W[n, k] @ a^T[k, m]: transposing the (small) activation keeps W streaming in place.
        float[] at = new float[k * m];
        MemorySegment as = a.data();
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                at[p * m + i] = as.getAtIndex(F, (long) i * k + p);
            }
        }
        MemorySegment outT = MemorySegment.ofArray(new float[n * m]);
        MemorySegment bs = bias == null ? null : bias.data();
        parallel.forRange((n + 15) / 16, 1, (from, to) -> {
            int r0 = from * 16, r1 = Math.min(n, to * 16);
            VectorGemm.gemm(w.data(), (long) r0 * k, k, at, m, outT, (long) r0 * m, m, bs, r0, r1 - r0, m, k, false);
        });
        MemorySegment os = out.data();
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                os.setAtIndex(F, (long) i * n + j, outT.getAtIndex(F, (long) j * m + i));
            }
        }
    }

    @Override
    public void batchedMatmul(Tensor a, Tensor b, boolean transB, Tensor out, int batch, int m, int n, int k) {
        parallel.forRange(batch, 1, (from, to) -> {
            float[] bp = new float[k * n];
            for (int q = from; q < to; q++) {
                long bo = (long) q * k * n;
                for (int p = 0; p < k; p++) {
                    for (int j = 0; j < n; j++) {
                        bp[p * n + j] = transB ? b.data().getAtIndex(F, bo + (long) j * k + p)
                                : b.data().getAtIndex(F, bo + (long) p * n + j);
                    }
                }
                VectorGemm.gemm(a.data(), (long) q * m * k, k, bp, n, out.data(), (long) q * m * n, n, null, 0, m, n,
                        k, false);
            }
        });
    }

    @Override
    public void conv1d(Tensor x, Tensor w, Tensor bias, int stride, int padding, int groups, Tensor out) {
        int batch = x.dim(0), cin = x.dim(1), len = x.dim(2);
        int cout = w.dim(0), cpg = w.dim(1), kw = w.dim(2), lout = out.dim(2);
        int coutPg = cout / groups, kk = cpg * kw;
        int tiles = (lout + TILE - 1) / TILE;
        MemorySegment xs = x.data(), ws = w.data(), os = out.data();
        MemorySegment bs = bias == null ? null : bias.data();
        parallel.forRange(batch * groups * tiles, 1, (from, to) -> {
            float[] col = new float[kk * TILE];
            for (int task = from; task < to; task++) {
                int t0 = (task % tiles) * TILE, g = (task / tiles) % groups, b = task / tiles / groups;
                int nt = Math.min(TILE, lout - t0);
                Im2col.tile(xs, ((long) b * cin + (long) g * cpg) * len, cpg, 1, len, 1, kw, 0, t0, nt, 1, stride, 0,
                        padding, col);
                VectorGemm.gemm(ws, (long) g * coutPg * kk, kk, col, nt, os,
                        ((long) b * cout + (long) g * coutPg) * lout + t0, lout, bs, (long) g * coutPg, coutPg, nt,
                        kk, false);
            }
        });
    }

    @Override
    public void conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW, int groups,
                       Tensor out) {
        int batch = x.dim(0), cin = x.dim(1), h = x.dim(2), wd = x.dim(3);
        int cout = w.dim(0), cpg = w.dim(1), kh = w.dim(2), kw = w.dim(3);
        int hout = out.dim(2), wout = out.dim(3);
        int coutPg = cout / groups, kk = cpg * kh * kw;
        int tilesW = (wout + TILE - 1) / TILE;
        long plane = (long) hout * wout;
        MemorySegment xs = x.data(), ws = w.data(), os = out.data();
        MemorySegment bs = bias == null ? null : bias.data();
        int tasks = batch * groups * hout * tilesW;
        parallel.forRange(tasks, 1, (from, to) -> {
            float[] col = new float[kk * TILE];
            for (int task = from; task < to; task++) {
                int tw = task % tilesW, oy = (task / tilesW) % hout, g = (task / tilesW / hout) % groups;
                int b = task / tilesW / hout / groups;
                int x0 = tw * TILE, nt = Math.min(TILE, wout - x0);
                Im2col.tile(xs, ((long) b * cin + (long) g * cpg) * h * wd, cpg, h, wd, kh, kw, oy, x0, nt, strideH,
                        strideW, padH, padW, col);
                VectorGemm.gemm(ws, (long) g * coutPg * kk, kk, col, nt, os,
                        ((long) b * cout + (long) g * coutPg) * plane + (long) oy * wout + x0, (int) plane, bs,
                        (long) g * coutPg, coutPg, nt, kk, false);
            }
        });
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out) {
        int d = x.dim(-1);
        int rows = (int) (x.numel() / d);
        MemorySegment xs = x.data(), os = out.data();
        MemorySegment ws = weight == null ? null : weight.data(), bs = bias == null ? null : bias.data();
        parallel.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                long o = (long) r * d;
                double mean = sum(xs, o, d) / d;
                double var = sumSquaredDeviations(xs, o, d, (float) mean) / d;
                float inv = (float) (1.0 / Math.sqrt(var + eps));
                normalizeRow(xs, os, o, d, (float) mean, inv, ws, bs);
            }
        });
    }

    /** {@code sum((x - mean)^2)} over a row, vectorised, accumulated in double across vector chunks. */
    private static double sumSquaredDeviations(MemorySegment s, long o, long n, float mean) {
        double acc = 0;
        long i = 0;
        FloatVector m = FloatVector.broadcast(VectorGemm.S, mean);
        // Float lanes collect up to BLOCK chunks, then move to the double total in lane order.
        while (i + L <= n) {
            FloatVector block = FloatVector.zero(VectorGemm.S);
            for (int k = 0; k < BLOCK && i + L <= n; k++, i += L) {
                FloatVector c = FloatVector.fromMemorySegment(VectorGemm.S, s, (o + i) * 4, LE).sub(m);
                block = c.fma(c, block);
            }
            acc += VectorMath.sum(block);
        }
        for (; i < n; i++) {
            double c = s.getAtIndex(F, o + i) - mean;
            acc += c * c;
        }
        return acc;
    }

    /** {@code out = (x - mean) * inv [* w + b]} over one row. */
    private static void normalizeRow(MemorySegment xs, MemorySegment os, long o, int n, float mean, float inv,
                                     MemorySegment ws, MemorySegment bs) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector y = FloatVector.fromMemorySegment(VectorGemm.S, xs, (o + i) * 4, LE).sub(mean).mul(inv);
            if (ws != null) {
                FloatVector w = FloatVector.fromMemorySegment(VectorGemm.S, ws, i * 4L, LE);
                y = bs == null ? y.mul(w) : y.fma(w, FloatVector.fromMemorySegment(VectorGemm.S, bs, i * 4L, LE));
            }
            y.intoMemorySegment(os, (o + i) * 4, LE);
        }
        for (; i < n; i++) {
            float y = (xs.getAtIndex(F, o + i) - mean) * inv;
            if (ws != null) {
                y = y * ws.getAtIndex(F, i) + (bs == null ? 0f : bs.getAtIndex(F, i));
            }
            os.setAtIndex(F, o + i, y);
        }
    }

    @Override
    public void layerNormChannels(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out) {
        int batch = x.dim(0), c = x.dim(1), len = x.dim(2);
        final int span = 256; // positions per task: each channel row is read as one contiguous 1 KiB run
        int tiles = (len + span - 1) / span;
        MemorySegment xs = x.data(), os = out.data();
        // Statistics per position over channels, without a transpose: the outer loop walks channels and the
        // vectorised inner loop runs along contiguous positions, accumulating into per-position arrays.
        // The sums run in double: a float running sum of squares over C = 512 channels made 1/std ~1.7e-7 off,
        // the normalised output 2.4x further from exact than PyTorch's, and every later layer inherited that
        // (training gradients flip where an activation then lands on the other side of a SELU's kink).
        parallel.forRange(batch * tiles, 2, (from, to) -> {
            double[] mean64 = new double[span], sq64 = new double[span];
            float[] mean = new float[span], inv = new float[span], row = new float[span];
            for (int task = from; task < to; task++) {
                int b = task / tiles, t0 = (task % tiles) * span, n = Math.min(span, len - t0);
                long base = (long) b * c * len + t0;
                java.util.Arrays.fill(mean64, 0);
                java.util.Arrays.fill(sq64, 0);
                for (int ch = 0; ch < c; ch++) {
                    MemorySegment.copy(xs, F, (base + (long) ch * len) * 4, row, 0, n);
                    for (int i = 0; i < n; i++) {
                        mean64[i] += row[i];
                    }
                }
                for (int i = 0; i < n; i++) {
                    mean64[i] /= c;
                }
                for (int ch = 0; ch < c; ch++) {
                    MemorySegment.copy(xs, F, (base + (long) ch * len) * 4, row, 0, n);
                    for (int i = 0; i < n; i++) {
                        double d = row[i] - mean64[i];
                        sq64[i] += d * d;
                    }
                }
                for (int i = 0; i < n; i++) {
                    mean[i] = (float) mean64[i];
                    inv[i] = (float) (1.0 / Math.sqrt(sq64[i] / c + eps));
                }
                for (int ch = 0; ch < c; ch++) {
                    long at = (base + (long) ch * len) * 4;
                    MemorySegment.copy(xs, F, at, row, 0, n);
                    float w = weight.getFloat(ch), bb = bias.getFloat(ch);
                    for (int i = 0; i < n; i++) {
                        row[i] = (row[i] - mean[i]) * inv[i] * w + bb;
                    }
                    MemorySegment.copy(row, 0, os, F, at, n);
                }
            }
        });
    }

    @Override
    public void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, float eps, Tensor out) {
        int batch = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) batch * c);
        int cpg = c / groups;
        MemorySegment xs = x.data(), os = out.data();
        parallel.forRange(batch * groups, 1, (from, to) -> {
            for (int task = from; task < to; task++) {
                int b = task / groups, g = task % groups;
                long o = ((long) b * c + (long) g * cpg) * len, n = cpg * len;
                double mean = sum(xs, o, n) / n;
                double var = 0;
                for (long i = 0; i < n; i++) {
                    double d = xs.getAtIndex(F, o + i) - mean;
                    var += d * d;
                }
                double inv = 1.0 / Math.sqrt(var / n + eps);
                for (int ci = 0; ci < cpg; ci++) {
                    int ch = g * cpg + ci;
                    float s = (float) (inv * weight.getFloat(ch));
                    float sh = (float) (bias.getFloat(ch) - mean * inv * weight.getFloat(ch));
                    affine(xs, os, o + ci * len, len, s, sh);
                }
            }
        });
    }

    @Override
    public void batchNorm(Tensor x, Tensor mean, Tensor var, Tensor weight, Tensor bias, float eps, Tensor out) {
        int batch = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) batch * c);
        MemorySegment xs = x.data(), os = out.data();
        parallel.forRange(batch * c, 1, (from, to) -> {
            for (int task = from; task < to; task++) {
                int ch = task % c;
                double inv = 1.0 / Math.sqrt((double) var.getFloat(ch) + eps);
                float s = (float) (inv * weight.getFloat(ch));
                float sh = (float) (bias.getFloat(ch) - mean.getFloat(ch) * inv * weight.getFloat(ch));
                affine(xs, os, (long) task * len, len, s, sh);
            }
        });
    }

    @Override
    public void softmax(Tensor x, Tensor out) {
        int d = x.dim(-1);
        int rows = (int) (x.numel() / d);
        MemorySegment xs = x.data(), os = out.data();
        parallel.forRange(rows, 64, (from, to) -> {
            for (int r = from; r < to; r++) {
                long o = (long) r * d;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < d; i++) {
                    max = Math.max(max, xs.getAtIndex(F, o + i));
                }
                double s = 0;
                int i = 0;
                FloatVector block = FloatVector.zero(VectorGemm.S);
                for (; i + L <= d; i += L) {
                    FloatVector e = VectorMath.exp(FloatVector.fromMemorySegment(VectorGemm.S, xs, (o + i) * 4, LE).sub(max));
                    e.intoMemorySegment(os, (o + i) * 4, LE);
                    block = block.add(e); // values in (0, 1]: a float per lane holds a row's sum exactly enough
                }
                s += VectorMath.sum(block);
                for (; i < d; i++) {
                    float e = (float) StrictMath.exp(xs.getAtIndex(F, o + i) - max);
                    os.setAtIndex(F, o + i, e);
                    s += e;
                }
                float inv = (float) (1.0 / s);
                affine(os, os, o, d, inv, 0f);
            }
        });
    }

    @Override
    public void activation(Activation f, Tensor x, Tensor out) {
        long n = x.numel();
        MemorySegment xs = x.data(), os = out.data();
        int chunks = (int) ((n + 4095) / 4096);
        parallel.forRange(chunks, 8, (from, to) -> {
            long start = (long) from * 4096, end = Math.min(n, (long) to * 4096);
            long i = start;
            if (f == Activation.GELU || f == Activation.SELU || f == Activation.ABS || f == Activation.RELU) {
                for (; i + L <= end; i += L) {
                    FloatVector v = FloatVector.fromMemorySegment(VectorGemm.S, xs, i * 4, LE);
                    FloatVector y = switch (f) {
                        case GELU -> VectorMath.gelu(v);
                        case SELU -> VectorMath.selu(v);
                        case ABS -> v.abs();
                        default -> v.max(0f);
                    };
                    y.intoMemorySegment(os, i * 4, LE);
                }
            }
            for (; i < end; i++) {
                os.setAtIndex(F, i, (float) f.apply(xs.getAtIndex(F, i)));
            }
        });
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        long n = a.numel(), m = b.numel();
        MemorySegment as = a.data(), bs = b.data(), os = out.data();
        // Work is split into chunks of the flat index; b repeats every m elements (broadcast over leading dims).
        int chunks = (int) ((n + 8191) / 8192);
        parallel.forRange(chunks, 8, (from, to) -> {
            long start = (long) from * 8192, end = Math.min(n, (long) to * 8192);
            long i = start;
            while (i < end) {
                long j = i % m, run = Math.min(end - i, m - j);
                long k = 0;
                for (; k + L <= run; k += L) {
                    FloatVector.fromMemorySegment(VectorGemm.S, as, (i + k) * 4, LE)
                            .add(FloatVector.fromMemorySegment(VectorGemm.S, bs, (j + k) * 4, LE))
                            .intoMemorySegment(os, (i + k) * 4, LE);
                }
                for (; k < run; k++) {
                    os.setAtIndex(F, i + k, as.getAtIndex(F, i + k) + bs.getAtIndex(F, j + k));
                }
                i += run;
            }
        });
    }

    @Override
    public void maxPool2d(Tensor x, int kh, int kw, Tensor out) {
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), ho = out.dim(2), wo = out.dim(3);
        MemorySegment xs = x.data(), os = out.data();
        // Rows are copied into arrays in bulk: the column max is then a vector max over kh rows and the
        // window max a short scalar pass, instead of a bounds-checked segment read per element.
        parallel.forRange(planes * ho, 4, (from, to) -> {
            float[] rows = new float[w];
            float[] row = new float[w];
            float[] res = new float[wo];
            for (int task = from; task < to; task++) {
                int p = task / ho, oy = task % ho;
                long first = ((long) p * h + (long) oy * kh) * w;
                MemorySegment.copy(xs, F, first * 4, rows, 0, w);
                for (int dy = 1; dy < kh; dy++) {
                    MemorySegment.copy(xs, F, (first + (long) dy * w) * 4, row, 0, w);
                    int i = 0;
                    for (; i + L <= w; i += L) {
                        FloatVector.fromArray(VectorGemm.S, rows, i).max(FloatVector.fromArray(VectorGemm.S, row, i))
                                .intoArray(rows, i);
                    }
                    for (; i < w; i++) {
                        rows[i] = Math.max(rows[i], row[i]);
                    }
                }
                for (int ox = 0; ox < wo; ox++) {
                    float m = rows[ox * kw];
                    for (int dx = 1; dx < kw; dx++) {
                        m = Math.max(m, rows[ox * kw + dx]);
                    }
                    res[ox] = m;
                }
                MemorySegment.copy(res, 0, os, F, ((long) p * ho + oy) * wo * 4, wo);
            }
        });
    }

    private static double sum(MemorySegment s, long o, long n) {
        double acc = 0;
        long i = 0;
        while (i + L <= n) {
            FloatVector block = FloatVector.zero(VectorGemm.S);
            for (int k = 0; k < BLOCK && i + L <= n; k++, i += L) {
                block = block.add(FloatVector.fromMemorySegment(VectorGemm.S, s, (o + i) * 4, LE));
            }
            acc += VectorMath.sum(block);
        }
        for (; i < n; i++) {
            acc += s.getAtIndex(F, o + i);
        }
        return acc;
    }

    private static void affine(MemorySegment xs, MemorySegment os, long o, long n, float scale, float shift) {
        long i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromMemorySegment(VectorGemm.S, xs, (o + i) * 4, LE).fma(scale, shift)
                    .intoMemorySegment(os, (o + i) * 4, LE);
        }
        VectorMask<Float> tail = VectorGemm.S.indexInRange(i, n);
        if (i < n) {
            FloatVector.fromMemorySegment(VectorGemm.S, xs, (o + i) * 4, LE, tail).fma(scale, shift)
                    .intoMemorySegment(os, (o + i) * 4, LE, tail);
        }
    }

    // ---- training ----

    @Override
    public void batchNormTrain(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                               float momentum, float eps, Tensor out, Tensor saveMean, Tensor saveInvStd) {
        int batch = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) batch * c), n = batch * len;
        MemorySegment xs = x.data(), os = out.data();
        parallel.forRange(c, 1, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double s = 0;
                for (int b = 0; b < batch; b++) {
                    s += sum(xs, ((long) b * c + ch) * len, len);
                }
                double mean = s / n, sq = 0;
                for (int b = 0; b < batch; b++) {
                    sq += sumSquaredDeviations(xs, ((long) b * c + ch) * len, len, (float) mean);
                }
                double var = sq / n, inv = 1.0 / Math.sqrt(var + eps);
                double wt = weight == null ? 1 : weight.getFloat(ch), bs = bias == null ? 0 : bias.getFloat(ch);
                float scale = (float) (inv * wt), shift = (float) (bs - mean * inv * wt);
                for (int b = 0; b < batch; b++) {
                    affine(xs, os, ((long) b * c + ch) * len, len, scale, shift);
                }
                if (saveMean != null) {
                    saveMean.setFloat(ch, (float) mean);
                }
                if (saveInvStd != null) {
                    saveInvStd.setFloat(ch, (float) inv);
                }
                if (runningMean != null) {
                    runningMean.setFloat(ch, (float) ((1 - momentum) * runningMean.getFloat(ch) + momentum * mean));
                }
                if (runningVar != null) {
                    double unbiased = var * n / (n - 1);
                    runningVar.setFloat(ch, (float) ((1 - momentum) * runningVar.getFloat(ch) + momentum * unbiased));
                }
            }
        });
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor weight, Tensor saveMean, Tensor saveInvStd, Tensor dy, Tensor dx,
                                  Tensor dWeight, Tensor dBias) {
        int batch = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) batch * c), n = batch * len;
        MemorySegment xs = x.data(), gs = dy.data(), dxs = dx == null ? null : dx.data();
        parallel.forRange(c, 1, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                float mean = saveMean.getFloat(ch);
                double inv = saveInvStd.getFloat(ch), wt = weight == null ? 1 : weight.getFloat(ch);
                double sdy = 0, sdx = 0;
                for (int b = 0; b < batch; b++) {
                    long o = ((long) b * c + ch) * len;
                    sdy += sum(gs, o, len);
                    sdx += sumProductCentered(gs, xs, o, len, mean);
                }
                double sdyXhat = sdx * inv;
                if (dWeight != null) {
                    dWeight.setFloat(ch, (float) (dWeight.getFloat(ch) + sdyXhat));
                }
                if (dBias != null) {
                    dBias.setFloat(ch, (float) (dBias.getFloat(ch) + sdy));
                }
                if (dxs != null) {
                    float[] k = normBackwardCoefficients(inv * wt, inv, mean, sdy * wt / n, sdyXhat * wt / n);
                    for (int b = 0; b < batch; b++) {
                        long o = ((long) b * c + ch) * len;
                        addCombination(dxs, gs, xs, o, len, k[0], k[1], k[2]);
                    }
                }
            }
        });
    }

    /**
     * {@code dx += inv * (w * dy - mg - xhat * mgx)}, with {@code xhat = (x - mean) * inv}, rewritten as
     * {@code a * dy + b * x + c} so that the per-element pass is two FMAs: returns {a, b, c} for
     * {@code a = inv * w} and the set's means {@code mg} of {@code w * dy} and {@code mgx} of {@code w * dy * xhat}.
     */
    private static float[] normBackwardCoefficients(double a, double inv, double mean, double mg, double mgx) {
        double b = -inv * inv * mgx;
        return new float[] {(float) a, (float) b, (float) (-inv * mg - b * mean)};
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db, int m, int n, int k) {
        MemorySegment gs = dy.data();
        if (dx != null) {
            // dx[m, k] += dy[m, n] @ W[n, k]
            parallelGemm(gs, 0, n, toArray(w.data(), 0, n * k), k, dx.data(), 0, k, m, k, n);
        }
        if (dw != null) {
            // dw[n, k] += dy^T[n, m] @ x[m, k]
            parallelGemm(MemorySegment.ofArray(transpose(gs, 0, m, n)), 0, m, toArray(x.data(), 0, m * k), k,
                    dw.data(), 0, k, n, k, m);
        }
        if (db != null) {
            columnSums(gs, m, n, db.data());
        }
    }

    @Override
    public void batchedMatmulBackward(Tensor a, Tensor b, boolean transB, Tensor dy, Tensor da, Tensor db, int batch,
                                      int m, int n, int k) {
        MemorySegment as = a.data(), bs = b.data(), gs = dy.data();
        // Many small products (attention heads) go one per task; a few large ones are split inside.
        boolean perTask = batch >= parallel.threads();
        Parallel.RangeBody body = (from, to) -> {
            for (int q = from; q < to; q++) {
                long ao = (long) q * m * k, bo = (long) q * k * n, oo = (long) q * m * n;
                if (da != null) {
                    // da[m, k] += dy[m, n] @ op(B)^T[n, k]; a transposed B is stored [n, k] already.
                    float[] bt = transB ? toArray(bs, bo, n * k) : transpose(bs, bo, k, n);
                    gemmAccumulate(!perTask, gs, oo, n, bt, k, da.data(), ao, k, m, k, n);
                }
                if (db != null) {
                    if (transB) {
                        // dB[n, k] += dy^T[n, m] @ a[m, k]
                        gemmAccumulate(!perTask, MemorySegment.ofArray(transpose(gs, oo, m, n)), 0, m,
                                toArray(as, ao, m * k), k, db.data(), bo, k, n, k, m);
                    } else {
                        // dB[k, n] += a^T[k, m] @ dy[m, n]
                        gemmAccumulate(!perTask, MemorySegment.ofArray(transpose(as, ao, m, k)), 0, m,
                                toArray(gs, oo, m * n), n, db.data(), bo, n, k, n, m);
                    }
                }
            }
        };
        if (perTask) {
            parallel.forRange(batch, 1, body);
        } else {
            body.run(0, batch);
        }
    }

    @Override
    public void conv1dBackward(Tensor x, Tensor w, Tensor dy, int stride, int padding, int groups, Tensor dx,
                               Tensor dw, Tensor db) {
        ConvGeometry c = ConvGeometry.of1d(x, w, dy, stride, padding, groups);
        ConvBackward.run(parallel, c, convBackwardPlan(c, x, w, dy, dw), dy, dx, dw, db);
    }

    @Override
    public void conv2dBackward(Tensor x, Tensor w, Tensor dy, int strideH, int strideW, int padH, int padW,
                               int groups, Tensor dx, Tensor dw, Tensor db) {
        ConvGeometry c = ConvGeometry.of2d(x, w, dy, strideH, strideW, padH, padW, groups);
        ConvBackward.run(parallel, c, convBackwardPlan(c, x, w, dy, dw), dy, dx, dw, db);
    }

    /**
     * The per-tile products of a convolution's backward pass; providers with a native GEMM override this.
     * Here: {@link VectorGemm} on tiles of a {@code kk x tile} block of about 1M floats at most.
     *
     * @param dw the weight-gradient target (null when not wanted): a provider may need it in native memory
     */
    protected ConvBackward.Plan convBackwardPlan(ConvGeometry c, Tensor x, Tensor w, Tensor dy, Tensor dw) {
        return ConvBackward.vectorPlan(c, x, w, dy, Math.max(64, Math.min(TILE, (1 << 20) / c.kk())));
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor weight, float eps, Tensor dy, Tensor dx, Tensor dWeight,
                                  Tensor dBias) {
        int d = x.dim(-1);
        int rows = (int) (x.numel() / d);
        MemorySegment xs = x.data(), gs = dy.data(), dxs = dx == null ? null : dx.data();
        // Without a weight the forward applies no affine at all, bias included.
        boolean wantW = weight != null && dWeight != null, wantB = weight != null && dBias != null;
        // Partial sums merge in chunk order after the loop, so results do not depend on thread timing.
        java.util.NavigableMap<Integer, Runnable> merges = new java.util.concurrent.ConcurrentSkipListMap<>();
        parallel.forRange(rows, 16, (from, to) -> {
            float[] w = new float[d], pw = new float[d], pb = new float[d];
            if (weight != null) {
                MemorySegment.copy(weight.data(), F, 0, w, 0, d);
            } else {
                java.util.Arrays.fill(w, 1f);
            }
            for (int r = from; r < to; r++) {
                long o = (long) r * d;
                float mean = (float) (sum(xs, o, d) / d);
                double inv = 1.0 / Math.sqrt(sumSquaredDeviations(xs, o, d, mean) / d + eps);
                double sg = 0, sgx = 0;
                int i = 0;
                FloatVector vm = FloatVector.broadcast(VectorGemm.S, mean), vi = FloatVector.broadcast(VectorGemm.S, (float) inv);
                for (; i + L <= d; i += L) {
                    FloatVector gy = FloatVector.fromMemorySegment(VectorGemm.S, gs, (o + i) * 4, LE);
                    FloatVector xh = FloatVector.fromMemorySegment(VectorGemm.S, xs, (o + i) * 4, LE).sub(vm).mul(vi);
                    FloatVector g = gy.mul(FloatVector.fromArray(VectorGemm.S, w, i));
                    sg += VectorMath.sum(g);
                    sgx += VectorMath.sum(g.mul(xh));
                    if (wantW) {
                        gy.fma(xh, FloatVector.fromArray(VectorGemm.S, pw, i)).intoArray(pw, i);
                    }
                    if (wantB) {
                        gy.add(FloatVector.fromArray(VectorGemm.S, pb, i)).intoArray(pb, i);
                    }
                }
                for (; i < d; i++) {
                    float gy = gs.getAtIndex(F, o + i), xh = (float) ((xs.getAtIndex(F, o + i) - mean) * inv);
                    sg += gy * w[i];
                    sgx += gy * w[i] * xh;
                    pw[i] += gy * xh;
                    pb[i] += gy;
                }
                if (dxs != null) {
                    // dx += inv * (w * dy - mean(g) - xhat * mean(g * xhat)), per element.
                    double mg = sg / d, mgx = sgx / d, b = -inv * inv * mgx;
                    float fi = (float) inv, fb = (float) b, fc = (float) (-inv * mg - b * mean);
                    i = 0;
                    for (; i + L <= d; i += L) {
                        FloatVector gw = FloatVector.fromMemorySegment(VectorGemm.S, gs, (o + i) * 4, LE)
                                .mul(FloatVector.fromArray(VectorGemm.S, w, i)).mul(fi);
                        FloatVector.fromMemorySegment(VectorGemm.S, xs, (o + i) * 4, LE).fma(fb, fc).add(gw)
                                .add(FloatVector.fromMemorySegment(VectorGemm.S, dxs, (o + i) * 4, LE))
                                .intoMemorySegment(dxs, (o + i) * 4, LE);
                    }
                    for (; i < d; i++) {
                        float v = gs.getAtIndex(F, o + i) * w[i] * fi + xs.getAtIndex(F, o + i) * fb + fc;
                        dxs.setAtIndex(F, o + i, dxs.getAtIndex(F, o + i) + v);
                    }
                }
            }
            merges.put(from, () -> {
                if (wantW) {
                    ConvBackward.addInto(dWeight.data(), 0, pw, 0, d);
                }
                if (wantB) {
                    ConvBackward.addInto(dBias.data(), 0, pb, 0, d);
                }
            });
        });
        merges.values().forEach(Runnable::run);
    }

    @Override
    public void layerNormChannelsBackward(Tensor x, Tensor weight, float eps, Tensor dy, Tensor dx, Tensor dWeight,
                                          Tensor dBias) {
        int batch = x.dim(0), c = x.dim(1), len = x.dim(2);
        int blocks = (len + L - 1) / L;
        MemorySegment xs = x.data(), gs = dy.data(), dxs = dx == null ? null : dx.data();
        float[] w = new float[c];
        for (int ch = 0; ch < c; ch++) {
            w[ch] = weight == null ? 1f : weight.getFloat(ch);
        }
        // Partial sums merge in chunk order after the loop, so results do not depend on thread timing.
        java.util.NavigableMap<Integer, Runnable> merges = new java.util.concurrent.ConcurrentSkipListMap<>();
        // As the forward: vectors along positions, reductions over channels.
        parallel.forRange(batch * blocks, 4, (from, to) -> {
            double[] pw = new double[c], pb = new double[c];
            for (int task = from; task < to; task++) {
                int b = task / blocks, t0 = (task % blocks) * L;
                VectorMask<Float> m = VectorGemm.S.indexInRange(t0, len);
                long base = (long) b * c * len + t0;
                FloatVector sum = FloatVector.zero(VectorGemm.S);
                for (int ch = 0; ch < c; ch++) {
                    sum = sum.add(FloatVector.fromMemorySegment(VectorGemm.S, xs, (base + (long) ch * len) * 4, LE, m));
                }
                FloatVector mean = sum.div(c);
                FloatVector sq = FloatVector.zero(VectorGemm.S);
                for (int ch = 0; ch < c; ch++) {
                    FloatVector d = FloatVector.fromMemorySegment(VectorGemm.S, xs, (base + (long) ch * len) * 4, LE, m)
                            .sub(mean);
                    sq = d.fma(d, sq);
                }
                FloatVector inv = FloatVector.broadcast(VectorGemm.S, 1f)
                        .div(sq.div(c).add(eps).lanewise(VectorOperators.SQRT));
                FloatVector sg = FloatVector.zero(VectorGemm.S), sgx = sg;
                for (int ch = 0; ch < c; ch++) {
                    long at = (base + (long) ch * len) * 4;
                    FloatVector gy = FloatVector.fromMemorySegment(VectorGemm.S, gs, at, LE, m);
                    FloatVector xh = FloatVector.fromMemorySegment(VectorGemm.S, xs, at, LE, m).sub(mean).mul(inv);
                    FloatVector g = gy.mul(w[ch]);
                    sg = sg.add(g);
                    sgx = g.fma(xh, sgx);
                    pw[ch] += VectorMath.sum(gy.mul(xh), m);
                    pb[ch] += VectorMath.sum(gy, m);
                }
                if (dxs != null) {
                    FloatVector mg = sg.div(c), mgx = sgx.div(c);
                    for (int ch = 0; ch < c; ch++) {
                        long at = (base + (long) ch * len) * 4;
                        FloatVector xh = FloatVector.fromMemorySegment(VectorGemm.S, xs, at, LE, m).sub(mean).mul(inv);
                        FloatVector g = FloatVector.fromMemorySegment(VectorGemm.S, gs, at, LE, m).mul(w[ch]);
                        g.sub(mg).sub(xh.mul(mgx)).mul(inv)
                                .add(FloatVector.fromMemorySegment(VectorGemm.S, dxs, at, LE, m))
                                .intoMemorySegment(dxs, at, LE, m);
                    }
                }
            }
            merges.put(from, () -> {
                addInto(dWeight, pw);
                addInto(dBias, pb);
            });
        });
        merges.values().forEach(Runnable::run);
    }

    @Override
    public void groupNormBackward(Tensor x, int groups, Tensor weight, float eps, Tensor dy, Tensor dx,
                                  Tensor dWeight, Tensor dBias) {
        int batch = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) batch * c);
        int cpg = c / groups;
        MemorySegment xs = x.data(), gs = dy.data(), dxs = dx == null ? null : dx.data();
        // Partial sums merge in chunk order after the loop, so results do not depend on thread timing.
        java.util.NavigableMap<Integer, Runnable> merges = new java.util.concurrent.ConcurrentSkipListMap<>();
        parallel.forRange(batch * groups, 1, (from, to) -> {
            double[] pw = new double[c], pb = new double[c];
            double[] sdy = new double[cpg], sdx = new double[cpg];
            for (int task = from; task < to; task++) {
                int b = task / groups, g = task % groups;
                long o = ((long) b * c + (long) g * cpg) * len, n = cpg * len;
                float mean = (float) (sum(xs, o, n) / n);
                double inv = 1.0 / Math.sqrt(sumSquaredDeviations(xs, o, n, mean) / n + eps);
                double sg = 0, sgx = 0;
                for (int ci = 0; ci < cpg; ci++) {
                    int ch = g * cpg + ci;
                    double wt = weight == null ? 1 : weight.getFloat(ch);
                    sdy[ci] = sum(gs, o + ci * len, len);
                    sdx[ci] = sumProductCentered(gs, xs, o + ci * len, len, mean) * inv;
                    sg += wt * sdy[ci];
                    sgx += wt * sdx[ci];
                    pw[ch] += sdx[ci];
                    pb[ch] += sdy[ci];
                }
                if (dxs != null) {
                    for (int ci = 0; ci < cpg; ci++) {
                        double wt = weight == null ? 1 : weight.getFloat(g * cpg + ci);
                        float[] k = normBackwardCoefficients(inv * wt, inv, mean, sg / n, sgx / n);
                        addCombination(dxs, gs, xs, o + ci * len, len, k[0], k[1], k[2]);
                    }
                }
            }
            merges.put(from, () -> {
                addInto(dWeight, pw);
                addInto(dBias, pb);
            });
        });
        merges.values().forEach(Runnable::run);
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        if (dx == null) {
            return;
        }
        int d = y.dim(-1);
        int rows = (int) (y.numel() / d);
        MemorySegment ys = y.data(), gs = dy.data(), dxs = dx.data();
        parallel.forRange(rows, 64, (from, to) -> {
            for (int r = from; r < to; r++) {
                long o = (long) r * d;
                double dot = 0;
                int i = 0;
                while (i + L <= d) {
                    FloatVector block = FloatVector.zero(VectorGemm.S);
                    for (int k = 0; k < BLOCK && i + L <= d; k++, i += L) {
                        block = FloatVector.fromMemorySegment(VectorGemm.S, gs, (o + i) * 4, LE)
                                .fma(FloatVector.fromMemorySegment(VectorGemm.S, ys, (o + i) * 4, LE), block);
                    }
                    dot += VectorMath.sum(block);
                }
                for (; i < d; i++) {
                    dot += gs.getAtIndex(F, o + i) * ys.getAtIndex(F, o + i);
                }
                float fd = (float) dot;
                i = 0;
                for (; i + L <= d; i += L) {
                    FloatVector yv = FloatVector.fromMemorySegment(VectorGemm.S, ys, (o + i) * 4, LE);
                    FloatVector.fromMemorySegment(VectorGemm.S, gs, (o + i) * 4, LE).sub(fd)
                            .fma(yv, FloatVector.fromMemorySegment(VectorGemm.S, dxs, (o + i) * 4, LE))
                            .intoMemorySegment(dxs, (o + i) * 4, LE);
                }
                for (; i < d; i++) {
                    dxs.setAtIndex(F, o + i,
                            dxs.getAtIndex(F, o + i) + ys.getAtIndex(F, o + i) * (gs.getAtIndex(F, o + i) - fd));
                }
            }
        });
    }

    @Override
    public void activationBackward(Activation f, Tensor x, Tensor y, Tensor dy, Tensor dx) {
        if (dx == null) {
            return;
        }
        long n = x.numel();
        MemorySegment xs = x.data(), ys = y == null ? null : y.data(), gs = dy.data(), dxs = dx.data();
        // Sigmoid and tanh differentiate cheapest from their output; the others from the input.
        boolean fromOutput = f == Activation.SIGMOID || f == Activation.TANH;
        MemorySegment src = fromOutput && ys != null ? ys : xs;
        boolean vectorised = !fromOutput || ys != null;
        int chunks = (int) ((n + 4095) / 4096);
        parallel.forRange(chunks, 8, (from, to) -> {
            long start = (long) from * 4096, end = Math.min(n, (long) to * 4096);
            long i = start;
            if (vectorised) {
                for (; i + L <= end; i += L) {
                    FloatVector v = FloatVector.fromMemorySegment(VectorGemm.S, src, i * 4, LE);
                    FloatVector d = switch (f) {
                        case GELU -> VectorMath.geluDerivative(v);
                        case SELU -> VectorMath.seluDerivative(v);
                        case SIGMOID -> v.mul(v.neg().add(1f));
                        case TANH -> v.mul(v).neg().add(1f);
                        case ABS -> FloatVector.zero(VectorGemm.S).blend(1f, v.compare(VectorOperators.GT, 0f)).blend(-1f, v.lt(0f));
                        case RELU -> FloatVector.zero(VectorGemm.S).blend(1f, v.compare(VectorOperators.GT, 0f));
                    };
                    d.fma(FloatVector.fromMemorySegment(VectorGemm.S, gs, i * 4, LE),
                            FloatVector.fromMemorySegment(VectorGemm.S, dxs, i * 4, LE)).intoMemorySegment(dxs, i * 4, LE);
                }
            }
            for (; i < end; i++) {
                dxs.setAtIndex(F, i, (float) (dxs.getAtIndex(F, i) + f.derivative(xs.getAtIndex(F, i)) * gs.getAtIndex(F, i)));
            }
        });
    }

    @Override
    public void maxPool2dBackward(Tensor x, int kh, int kw, Tensor dy, Tensor dx) {
        if (dx == null) {
            return;
        }
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), ho = dy.dim(2), wo = dy.dim(3);
        MemorySegment xs = x.data(), gs = dy.data(), dxs = dx.data();
        // Windows do not overlap (stride = kernel), so tasks never write the same element.
        parallel.forRange(planes * ho, 4, (from, to) -> {
            for (int task = from; task < to; task++) {
                int p = task / ho, oy = task % ho;
                long first = ((long) p * h + (long) oy * kh) * w;
                for (int ox = 0; ox < wo; ox++) {
                    // torch's CPU rule: ties go to the first maximum in row-major order, a NaN wins.
                    long best = first + (long) ox * kw;
                    float m = Float.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < kh; ky++) {
                        for (int kx = 0; kx < kw; kx++) {
                            long i = first + (long) ky * w + (long) ox * kw + kx;
                            float v = xs.getAtIndex(F, i);
                            if (v > m || Float.isNaN(v)) {
                                m = v;
                                best = i;
                            }
                        }
                    }
                    dxs.setAtIndex(F, best, dxs.getAtIndex(F, best) + gs.getAtIndex(F, ((long) p * ho + oy) * wo + ox));
                }
            }
        });
    }

    /** {@code C[m, n] += A[m, k] @ B[k, n]} split into row and column blocks over the pool. */
    private void parallelGemm(MemorySegment a, long aOff, int lda, float[] b, int ldb, MemorySegment c, long cOff,
                              int ldc, int m, int n, int k) {
        int rb = 32, cb = 12 * L;
        int rowBlocks = (m + rb - 1) / rb, colBlocks = (n + cb - 1) / cb;
        parallel.forRange(rowBlocks * colBlocks, 1, (from, to) -> {
            for (int task = from; task < to; task++) {
                int i0 = task / colBlocks * rb, j0 = task % colBlocks * cb;
                VectorGemm.gemm(a, aOff + (long) i0 * lda, lda, b, j0, ldb, c, cOff + (long) i0 * ldc + j0, ldc, null,
                        0, Math.min(rb, m - i0), Math.min(cb, n - j0), k, true);
            }
        });
    }

    private void gemmAccumulate(boolean parallelInside, MemorySegment a, long aOff, int lda, float[] b, int ldb,
                                MemorySegment c, long cOff, int ldc, int m, int n, int k) {
        if (parallelInside) {
            parallelGemm(a, aOff, lda, b, ldb, c, cOff, ldc, m, n, k);
        } else {
            VectorGemm.gemm(a, aOff, lda, b, ldb, c, cOff, ldc, null, 0, m, n, k, true);
        }
    }

    /** {@code db[j] += sum_i g[i, j]} over an {@code [m, n]} matrix, split over column blocks. */
    private void columnSums(MemorySegment g, int m, int n, MemorySegment db) {
        int cb = 16 * L, blocks = (n + cb - 1) / cb;
        parallel.forRange(blocks, 1, (from, to) -> {
            for (int blk = from; blk < to; blk++) {
                int j0 = blk * cb, nj = Math.min(cb, n - j0);
                float[] acc = new float[nj];
                for (int i = 0; i < m; i++) {
                    long o = (long) i * n + j0;
                    int j = 0;
                    for (; j + L <= nj; j += L) {
                        FloatVector.fromMemorySegment(VectorGemm.S, g, (o + j) * 4, LE)
                                .add(FloatVector.fromArray(VectorGemm.S, acc, j)).intoArray(acc, j);
                    }
                    for (; j < nj; j++) {
                        acc[j] += g.getAtIndex(F, o + j);
                    }
                }
                ConvBackward.addInto(db, j0, acc, 0, nj);
            }
        });
    }

    /** The {@code [cols, rows]} transpose of the {@code [rows, cols]} matrix at element {@code off}. */
    private static float[] transpose(MemorySegment s, long off, int rows, int cols) {
        float[] t = new float[rows * cols];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(s, F, (off + (long) r * cols) * 4, row, 0, cols);
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = row[c];
            }
        }
        return t;
    }

    private static float[] toArray(MemorySegment s, long off, int count) {
        float[] a = new float[count];
        MemorySegment.copy(s, F, off * 4, a, 0, count);
        return a;
    }

    /** {@code sum(dy * (x - mean))} over {@code n} elements at {@code o}, accumulated in double across chunks. */
    private static double sumProductCentered(MemorySegment dy, MemorySegment x, long o, long n, float mean) {
        double acc = 0;
        long i = 0;
        while (i + L <= n) {
            FloatVector block = FloatVector.zero(VectorGemm.S);
            for (int k = 0; k < BLOCK && i + L <= n; k++, i += L) {
                block = FloatVector.fromMemorySegment(VectorGemm.S, x, (o + i) * 4, LE).sub(mean)
                        .fma(FloatVector.fromMemorySegment(VectorGemm.S, dy, (o + i) * 4, LE), block);
            }
            acc += VectorMath.sum(block);
        }
        for (; i < n; i++) {
            acc += (x.getAtIndex(F, o + i) - mean) * dy.getAtIndex(F, o + i);
        }
        return acc;
    }

    /** {@code dx += a * dy + b * x + c} over {@code n} elements at {@code o}. */
    private static void addCombination(MemorySegment dx, MemorySegment dy, MemorySegment x, long o, long n, float a,
                                       float b, float c) {
        long i = 0;
        for (; i + L <= n; i += L) {
            long at = (o + i) * 4;
            FloatVector.fromMemorySegment(VectorGemm.S, x, at, LE).fma(b, c)
                    .add(FloatVector.fromMemorySegment(VectorGemm.S, dy, at, LE).mul(a))
                    .add(FloatVector.fromMemorySegment(VectorGemm.S, dx, at, LE)).intoMemorySegment(dx, at, LE);
        }
        for (; i < n; i++) {
            dx.setAtIndex(F, o + i, dx.getAtIndex(F, o + i) + a * dy.getAtIndex(F, o + i) + b * x.getAtIndex(F, o + i) + c);
        }
    }

    private static void addInto(Tensor target, double[] g) {
        if (target == null) {
            return;
        }
        for (int i = 0; i < g.length; i++) {
            target.setFloat(i, (float) (target.getFloat(i) + g[i]));
        }
    }
}
