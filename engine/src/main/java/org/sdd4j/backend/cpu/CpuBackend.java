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
 */
public class CpuBackend implements Backend {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int L = VectorGemm.L;
    /** Output positions per im2col tile: K x 512 floats stays within L2 for the K of these models. */
    private static final int TILE = 512;

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
                for (int ci = 0; ci < cpg; ci++) {
                    long xo = ((long) b * cin + (long) g * cpg + ci) * len;
                    for (int q = 0; q < kw; q++) {
                        int row = (ci * kw + q) * nt;
                        for (int t = 0; t < nt; t++) {
                            int pos = (t0 + t) * stride - padding + q;
                            col[row + t] = pos >= 0 && pos < len ? xs.getAtIndex(F, xo + pos) : 0f;
                        }
                    }
                }
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
                for (int ci = 0; ci < cpg; ci++) {
                    long xo = ((long) b * cin + (long) g * cpg + ci) * h;
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = oy * strideH - padH + ky;
                        for (int kx = 0; kx < kw; kx++) {
                            int row = ((ci * kh + ky) * kw + kx) * nt;
                            if (iy < 0 || iy >= h) {
                                java.util.Arrays.fill(col, row, row + nt, 0f);
                                continue;
                            }
                            long xr = (xo + iy) * wd;
                            for (int t = 0; t < nt; t++) {
                                int ix = (x0 + t) * strideW - padW + kx;
                                col[row + t] = ix >= 0 && ix < wd ? xs.getAtIndex(F, xr + ix) : 0f;
                            }
                        }
                    }
                }
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
    private static double sumSquaredDeviations(MemorySegment s, long o, int n, float mean) {
        double acc = 0;
        int i = 0;
        FloatVector m = FloatVector.broadcast(VectorGemm.S, mean);
        for (; i + L <= n; i += L) {
            FloatVector c = FloatVector.fromMemorySegment(VectorGemm.S, s, (o + i) * 4, LE).sub(m);
            acc += c.mul(c).reduceLanes(VectorOperators.ADD);
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
        int blocks = (len + L - 1) / L;
        MemorySegment xs = x.data(), os = out.data();
        // Vectors run along positions (contiguous); the reduction walks channels, so no transpose is needed.
        parallel.forRange(batch * blocks, 4, (from, to) -> {
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
                FloatVector inv = sq.div(c).add(eps).lanewise(VectorOperators.SQRT);
                inv = FloatVector.broadcast(VectorGemm.S, 1f).div(inv);
                for (int ch = 0; ch < c; ch++) {
                    long at = (base + (long) ch * len) * 4;
                    FloatVector.fromMemorySegment(VectorGemm.S, xs, at, LE, m).sub(mean).mul(inv)
                            .fma(weight.getFloat(ch), bias.getFloat(ch)).intoMemorySegment(os, at, LE, m);
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
                for (; i + L <= d; i += L) {
                    FloatVector e = FloatVector.fromMemorySegment(VectorGemm.S, xs, (o + i) * 4, LE).sub(max)
                            .lanewise(VectorOperators.EXP);
                    e.intoMemorySegment(os, (o + i) * 4, LE);
                    s += e.reduceLanes(VectorOperators.ADD);
                }
                for (; i < d; i++) {
                    float e = (float) Math.exp(xs.getAtIndex(F, o + i) - max);
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
        for (; i + L <= n; i += L) {
            acc += FloatVector.fromMemorySegment(VectorGemm.S, s, (o + i) * 4, LE).reduceLanes(VectorOperators.ADD);
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
}
