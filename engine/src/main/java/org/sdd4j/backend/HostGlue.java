package org.sdd4j.backend;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.sdd4j.tensor.Tensor;

/**
 * The host-memory definitions of {@link Backend}'s layout and graph glue: what every CPU provider runs
 * (they share one host address space, so one loop serves them all) and the meaning the CUDA kernels
 * reproduce. Each loop is the one {@link Ops} and the model code ran before these operations became part of
 * {@link Backend}, so CPU results stay bit for bit what they were.
 */
final class HostGlue {
    private HostGlue() {
    }

    static void permute(Tensor x, int[] perm, Tensor out) {
        int r = x.rank();
        int[] in = x.shape();
        int[] os = out.shape();
        // Trailing dimensions left in place move as contiguous chunks (e.g. the head split [B,T,H,dh] -> [B,H,T,dh]).
        int kept = r;
        while (kept > 0 && perm[kept - 1] == kept - 1) {
            kept--;
        }
        long chunk = 1;
        for (int i = kept; i < r; i++) {
            chunk *= in[i];
        }
        if (kept == 0) {
            out.copyFrom(x);
        } else if (chunk == 1 && isLastTwoSwapped(perm)) {
            transposeLastTwo(x, out, in[r - 2], in[r - 1]);
        } else {
            long[] inStride = Ops.strides(in);
            long[] srcStride = new long[kept];
            for (int i = 0; i < kept; i++) {
                srcStride[i] = inStride[perm[i]];
            }
            long n = out.numel() / chunk, bytes = chunk * 4;
            int[] idx = new int[kept];
            long src = 0;
            for (long i = 0; i < n; i++) {
                if (chunk == 1) {
                    out.setFloat(i, x.getFloat(src));
                } else {
                    MemorySegment.copy(x.data(), src * 4, out.data(), i * bytes, bytes);
                }
                for (int d = kept - 1; d >= 0; d--) {
                    idx[d]++;
                    src += srcStride[d];
                    if (idx[d] < os[d]) {
                        break;
                    }
                    src -= srcStride[d] * os[d];
                    idx[d] = 0;
                }
            }
        }
    }

    private static boolean isLastTwoSwapped(int[] perm) {
        int r = perm.length;
        for (int i = 0; i < r - 2; i++) {
            if (perm[i] != i) {
                return false;
            }
        }
        return r >= 2 && perm[r - 2] == r - 1 && perm[r - 1] == r - 2;
    }

    /** {@code out[b, j, i] = x[b, i, j]} in cache-sized tiles. */
    private static void transposeLastTwo(Tensor x, Tensor out, int rows, int cols) {
        final int tile = 32;
        long plane = (long) rows * cols, planes = x.numel() / Math.max(plane, 1);
        for (long p = 0; p < planes; p++) {
            long base = p * plane;
            for (int i0 = 0; i0 < rows; i0 += tile) {
                for (int j0 = 0; j0 < cols; j0 += tile) {
                    int i1 = Math.min(rows, i0 + tile), j1 = Math.min(cols, j0 + tile);
                    for (int i = i0; i < i1; i++) {
                        for (int j = j0; j < j1; j++) {
                            out.setFloat(base + (long) j * rows + i, x.getFloat(base + (long) i * cols + j));
                        }
                    }
                }
            }
        }
    }

    static void copyBlocks(Tensor src, long srcOffset, long srcStride, Tensor dst, long dstOffset, long dstStride,
                           long rows, long rowLength, boolean accumulate) {
        for (long r = 0; r < rows; r++) {
            long s = srcOffset + r * srcStride, d = dstOffset + r * dstStride;
            if (!accumulate) {
                MemorySegment.copy(src.data(), s * 4, dst.data(), d * 4, rowLength * 4);
                continue;
            }
            for (long c = 0; c < rowLength; c++) {
                dst.setFloat(d + c, dst.getFloat(d + c) + src.getFloat(s + c));
            }
        }
    }

    static void reduce(Reduction kind, Tensor x, long outer, int len, long inner, Tensor out) {
        for (long o = 0; o < outer; o++) {
            for (long q = 0; q < inner; q++) {
                long base = o * len * inner + q;
                double acc = kind == Reduction.MEAN ? 0 : Double.NEGATIVE_INFINITY;
                for (int t = 0; t < len; t++) {
                    float v = x.getFloat(base + t * inner);
                    switch (kind) {
                        case MAX -> acc = Math.max(acc, v);
                        case MAX_ABS -> acc = Math.max(acc, Math.abs(v));
                        case MEAN -> acc += v;
                    }
                }
                out.setFloat(o * inner + q, (float) (kind == Reduction.MEAN ? acc / len : acc));
            }
        }
    }

    static void mul(Tensor a, Tensor b, long mid, long inner, Tensor out) {
        long block = mid * inner;
        for (long i = 0, n = a.numel(); i < n; i++) {
            out.setFloat(i, a.getFloat(i) * b.getFloat(i / block * inner + i % inner));
        }
    }

    static void scale(Tensor x, float s, boolean divide, Tensor out, boolean accumulate) {
        for (long i = 0, n = x.numel(); i < n; i++) {
            float v = divide ? x.getFloat(i) / s : x.getFloat(i) * s;
            out.setFloat(i, accumulate ? out.getFloat(i) + v : v);
        }
    }

    static void maximum(Tensor a, Tensor b, Tensor out) {
        for (long i = 0, n = a.numel(); i < n; i++) {
            out.setFloat(i, Math.max(a.getFloat(i), b.getFloat(i)));
        }
    }

    static void pairwiseProduct(Tensor x, Tensor y) {
        int b = x.dim(0), n = x.dim(1), d = x.dim(2);
        for (int q = 0; q < b; q++) {
            for (int i = 0; i < n; i++) {
                long xi = ((long) q * n + i) * d;
                for (int j = 0; j < n; j++) {
                    long xj = ((long) q * n + j) * d, yo = (((long) q * n + i) * n + j) * d;
                    for (int k = 0; k < d; k++) {
                        y.setFloat(yo + k, x.getFloat(xi + k) * x.getFloat(xj + k));
                    }
                }
            }
        }
    }

    static void pairScores(Tensor h, Tensor[] weights, int[] weightOfPair, float temperature, Tensor s) {
        int b = h.dim(0), n = h.dim(1), dout = h.dim(3);
        for (int q = 0; q < b; q++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    Tensor w = weights[weightOfPair[i * n + j]];
                    long ho = (((long) q * n + i) * n + j) * dout;
                    float acc = 0;
                    for (int k = 0; k < dout; k++) {
                        acc += h.getFloat(ho + k) * w.getFloat(k);
                    }
                    s.setFloat(((long) q * n + i) * n + j, acc / temperature);
                }
            }
        }
    }

    static void topK(Tensor scores, int keep, Tensor idx) {
        int b = scores.dim(0), n = scores.dim(1);
        for (int q = 0; q < b; q++) {
            final int batch = q;
            Integer[] order = new Integer[n];
            java.util.Arrays.setAll(order, i -> i);
            // A stable sort: ties keep the lower node first.
            java.util.Arrays.sort(order, java.util.Comparator.comparingDouble(i -> -scores.getFloat((long) batch * n + i)));
            for (int r = 0; r < keep; r++) {
                idx.data().setAtIndex(ValueLayout.JAVA_INT, (long) q * keep + r, order[r]);
            }
        }
    }

    private static int node(Tensor idx, long at) {
        return idx.data().getAtIndex(ValueLayout.JAVA_INT, at);
    }

    static void gatherScaled(Tensor h, Tensor s, Tensor idx, Tensor y) {
        int b = h.dim(0), n = h.dim(1), d = h.dim(2), keep = idx.dim(1);
        for (int q = 0; q < b; q++) {
            for (int r = 0; r < keep; r++) {
                int node = node(idx, (long) q * keep + r);
                float sv = s.getFloat((long) q * n + node);
                for (int k = 0; k < d; k++) {
                    y.setFloat(((long) q * keep + r) * d + k, h.getFloat(((long) q * n + node) * d + k) * sv);
                }
            }
        }
    }

    static void attentivePool(Tensor x, Tensor w, int dim, Tensor out, Tensor p) {
        PoolingAxis a = PoolingAxis.of(x, dim);
        int len = a.len();
        long step = a.step();
        for (long j = 0; j < a.windows(); j++) {
            long at = a.start(j);
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < len; i++) {
                max = Math.max(max, w.getFloat(at + i * step));
            }
            float denom = 0;
            for (int i = 0; i < len; i++) {
                denom += (float) StrictMath.exp(w.getFloat(at + i * step) - max);
            }
            float acc = 0;
            for (int i = 0; i < len; i++) {
                float weight = (float) StrictMath.exp(w.getFloat(at + i * step) - max) / denom;
                p.setFloat(at + i * step, weight);
                acc += x.getFloat(at + i * step) * weight;
            }
            out.setFloat(j, acc);
        }
    }

    // ---- gradients ----

    static void reduceBackward(Reduction kind, Tensor x, Tensor dy, long outer, int len, long inner, Tensor dx) {
        for (long o = 0; o < outer; o++) {
            for (long q = 0; q < inner; q++) {
                long base = o * len * inner + q;
                float gy = dy.getFloat(o * inner + q);
                if (kind == Reduction.MEAN) {
                    for (int t = 0; t < len; t++) {
                        dx.setFloat(base + t * inner, dx.getFloat(base + t * inner) + gy / len);
                    }
                    continue;
                }
                int best = 0;
                float bv = Float.NEGATIVE_INFINITY;
                for (int t = 0; t < len; t++) {
                    float v = x.getFloat(base + t * inner);
                    v = kind == Reduction.MAX_ABS ? Math.abs(v) : v;
                    if (v > bv) {
                        bv = v;
                        best = t;
                    }
                }
                float v = x.getFloat(base + best * inner);
                float sign = kind == Reduction.MAX_ABS ? Math.signum(v) : 1f;
                dx.setFloat(base + best * inner, dx.getFloat(base + best * inner) + gy * sign);
            }
        }
    }

    static void mulBackward(Tensor a, Tensor b, Tensor dy, long mid, long inner, Tensor da, Tensor db) {
        long block = mid * inner;
        // b's gradient sums over mid: accumulate in double, write once.
        double[] acc = db == null ? null : new double[Math.toIntExact(b.numel())];
        for (long i = 0, n = a.numel(); i < n; i++) {
            int j = (int) (i / block * inner + i % inner);
            float g = dy.getFloat(i);
            if (da != null) {
                da.setFloat(i, da.getFloat(i) + g * b.getFloat(j));
            }
            if (acc != null) {
                acc[j] += (double) g * a.getFloat(i);
            }
        }
        for (int j = 0; acc != null && j < acc.length; j++) {
            db.setFloat(j, (float) (db.getFloat(j) + acc[j]));
        }
    }

    static void sumBroadcast(Tensor src, Tensor dst) {
        long m = dst.numel();
        for (long i = 0, n = src.numel(); i < n; i++) {
            dst.setFloat(i % m, dst.getFloat(i % m) + src.getFloat(i));
        }
    }

    static void maximumBackward(Tensor a, Tensor b, Tensor dy, Tensor da, Tensor db) {
        for (long i = 0, n = a.numel(); i < n; i++) {
            float av = a.getFloat(i), bv = b.getFloat(i), d = dy.getFloat(i);
            float toA = av > bv ? d : av == bv ? d / 2 : 0f;
            if (da != null) {
                da.setFloat(i, da.getFloat(i) + toA);
            }
            if (db != null) {
                db.setFloat(i, db.getFloat(i) + (d - toA));
            }
        }
    }

    static void batchNormEvalBackward(Tensor x, Tensor mean, Tensor var, Tensor weight, float eps, Tensor dy,
                                      Tensor dx, Tensor dw, Tensor db) {
        int batch = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) batch * c);
        for (int ch = 0; ch < c; ch++) {
            double inv = 1.0 / Math.sqrt((double) var.getFloat(ch) + eps);
            double sw = 0, sb = 0;
            for (int b = 0; b < batch; b++) {
                long o = ((long) b * c + ch) * len;
                for (long t = 0; t < len; t++) {
                    float d = dy.getFloat(o + t);
                    if (dx != null) {
                        dx.setFloat(o + t, dx.getFloat(o + t) + (float) (d * inv * weight.getFloat(ch)));
                    }
                    sw += d * (x.getFloat(o + t) - mean.getFloat(ch)) * inv;
                    sb += d;
                }
            }
            if (dw != null) {
                dw.setFloat(ch, dw.getFloat(ch) + (float) sw);
            }
            if (db != null) {
                db.setFloat(ch, db.getFloat(ch) + (float) sb);
            }
        }
    }

    static void pairwiseProductBackward(Tensor x, Tensor dy, Tensor dx) {
        // d/dx_i of sum_j dy_ij (x_i x_j) + sum_j dy_ji (x_j x_i) = sum_j (dy_ij + dy_ji) x_j
        int b = x.dim(0), n = x.dim(1), d = x.dim(2);
        for (int q = 0; q < b; q++) {
            for (int i = 0; i < n; i++) {
                long xi = ((long) q * n + i) * d;
                for (int j = 0; j < n; j++) {
                    long xj = ((long) q * n + j) * d;
                    long ij = (((long) q * n + i) * n + j) * d, ji = (((long) q * n + j) * n + i) * d;
                    for (int k = 0; k < d; k++) {
                        float gsum = dy.getFloat(ij + k) + dy.getFloat(ji + k);
                        dx.setFloat(xi + k, dx.getFloat(xi + k) + gsum * x.getFloat(xj + k));
                    }
                }
            }
        }
    }

    static void pairScoresBackward(Tensor h, Tensor[] weights, int[] weightOfPair, float temperature, Tensor ds,
                                   Tensor dh, Tensor[] dWeights) {
        int b = h.dim(0), n = h.dim(1), dout = h.dim(3);
        // Attention-vector gradients sum over every pair: accumulate them in double, write once.
        double[][] acc = new double[weights.length][];
        for (int i = 0; i < weights.length; i++) {
            acc[i] = dWeights[i] == null ? null : new double[dout];
        }
        for (int q = 0; q < b; q++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    Tensor w = weights[weightOfPair[i * n + j]];
                    double[] dw = acc[weightOfPair[i * n + j]];
                    float g = ds.getFloat(((long) q * n + i) * n + j) / temperature;
                    long ho = (((long) q * n + i) * n + j) * dout;
                    for (int k = 0; k < dout; k++) {
                        if (dh != null) {
                            dh.setFloat(ho + k, dh.getFloat(ho + k) + g * w.getFloat(k));
                        }
                        if (dw != null) {
                            dw[k] += (double) g * h.getFloat(ho + k);
                        }
                    }
                }
            }
        }
        for (int i = 0; i < weights.length; i++) {
            for (int k = 0; acc[i] != null && k < dout; k++) {
                dWeights[i].setFloat(k, (float) (dWeights[i].getFloat(k) + acc[i][k]));
            }
        }
    }

    static void gatherScaledBackward(Tensor h, Tensor s, Tensor idx, Tensor dy, Tensor dh, Tensor ds) {
        int b = h.dim(0), n = h.dim(1), d = h.dim(2), keep = idx.dim(1);
        for (int q = 0; q < b; q++) {
            for (int r = 0; r < keep; r++) {
                int node = node(idx, (long) q * keep + r);
                long so = (long) q * n + node;
                float sv = s.getFloat(so);
                double acc = 0;
                for (int k = 0; k < d; k++) {
                    float g = dy.getFloat(((long) q * keep + r) * d + k);
                    long ho = ((long) q * n + node) * d + k;
                    if (dh != null) {
                        dh.setFloat(ho, dh.getFloat(ho) + g * sv);
                    }
                    acc += g * h.getFloat(ho);
                }
                if (ds != null) {
                    ds.setFloat(so, (float) (ds.getFloat(so) + acc));
                }
            }
        }
    }

    static void attentivePoolBackward(Tensor x, Tensor p, Tensor out, int dim, Tensor dy, Tensor dx, Tensor dw) {
        // y = sum_i x_i p_i with p = softmax(w): dx_i = dy p_i, dw_i = dy p_i (x_i - y).
        PoolingAxis a = PoolingAxis.of(x, dim);
        for (long j = 0; j < a.windows(); j++) {
            long at = a.start(j);
            float g = dy.getFloat(j), y = out.getFloat(j);
            for (int i = 0; i < a.len(); i++) {
                long k = at + i * a.step();
                float pi = p.getFloat(k);
                if (dx != null) {
                    dx.setFloat(k, dx.getFloat(k) + g * pi);
                }
                if (dw != null) {
                    dw.setFloat(k, dw.getFloat(k) + g * pi * (x.getFloat(k) - y));
                }
            }
        }
    }
}
