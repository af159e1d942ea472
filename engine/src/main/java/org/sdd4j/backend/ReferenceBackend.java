package org.sdd4j.backend;

import org.sdd4j.tensor.Tensor;

/**
 * The plain, obviously correct definition of every operation: scalar loops, double accumulation, one
 * thread. It is the meaning tests hold the fast providers to, never the path users run.
 *
 * <p>Unlike the fast providers it runs on float64 tensors as well as float32 (every element goes through
 * {@link Tensor#getDouble}/{@link Tensor#setDouble}), so that gradient checks against finite differences
 * can run in double precision, where the differences are accurate to ~1e-9.
 */
public final class ReferenceBackend implements Backend {

    @Override
    public String name() {
        return "reference";
    }

    private final org.sdd4j.tensor.MemoryPool memory = new org.sdd4j.tensor.MemoryPool();

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public org.sdd4j.tensor.MemoryPool memory() {
        return memory;
    }

    @Override
    public void close() {
        memory.close();
    }

    @Override
    public void linear(Tensor a, Tensor w, Tensor bias, Tensor out, int m, int n, int k) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = bias == null ? 0 : bias.getDouble(j);
                for (int p = 0; p < k; p++) {
                    s += a.getDouble((long) i * k + p) * w.getDouble((long) j * k + p);
                }
                out.setDouble((long) i * n + j, s);
            }
        }
    }

    @Override
    public void batchedMatmul(Tensor a, Tensor b, boolean transB, Tensor out, int batch, int m, int n, int k) {
        for (int q = 0; q < batch; q++) {
            long ao = (long) q * m * k, bo = (long) q * k * n, oo = (long) q * m * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        double bv = transB ? b.getDouble(bo + (long) j * k + p) : b.getDouble(bo + (long) p * n + j);
                        s += a.getDouble(ao + (long) i * k + p) * bv;
                    }
                    out.setDouble(oo + (long) i * n + j, s);
                }
            }
        }
    }

    @Override
    public void conv1d(Tensor x, Tensor w, Tensor bias, int stride, int padding, int groups, Tensor out) {
        int batch = x.dim(0), cin = x.dim(1), len = x.dim(2);
        int cout = w.dim(0), cpg = w.dim(1), kw = w.dim(2), lout = out.dim(2);
        int coutPerGroup = cout / groups;
        for (int b = 0; b < batch; b++) {
            for (int co = 0; co < cout; co++) {
                int g = co / coutPerGroup;
                for (int t = 0; t < lout; t++) {
                    double s = bias == null ? 0 : bias.getDouble(co);
                    for (int ci = 0; ci < cpg; ci++) {
                        long xo = ((long) b * cin + g * cpg + ci) * len;
                        long wo = ((long) co * cpg + ci) * kw;
                        for (int q = 0; q < kw; q++) {
                            int pos = t * stride - padding + q;
                            if (pos >= 0 && pos < len) {
                                s += x.getDouble(xo + pos) * w.getDouble(wo + q);
                            }
                        }
                    }
                    out.setDouble(((long) b * cout + co) * lout + t, s);
                }
            }
        }
    }

    @Override
    public void conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW, int groups,
                       Tensor out) {
        int batch = x.dim(0), cin = x.dim(1), h = x.dim(2), wd = x.dim(3);
        int cout = w.dim(0), cpg = w.dim(1), kh = w.dim(2), kw = w.dim(3);
        int hout = out.dim(2), wout = out.dim(3);
        int coutPerGroup = cout / groups;
        for (int b = 0; b < batch; b++) {
            for (int co = 0; co < cout; co++) {
                int g = co / coutPerGroup;
                for (int oy = 0; oy < hout; oy++) {
                    for (int ox = 0; ox < wout; ox++) {
                        double s = bias == null ? 0 : bias.getDouble(co);
                        for (int ci = 0; ci < cpg; ci++) {
                            for (int ky = 0; ky < kh; ky++) {
                                int iy = oy * strideH - padH + ky;
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                for (int kx = 0; kx < kw; kx++) {
                                    int ix = ox * strideW - padW + kx;
                                    if (ix < 0 || ix >= wd) {
                                        continue;
                                    }
                                    long xi = (((long) b * cin + g * cpg + ci) * h + iy) * wd + ix;
                                    long wi = (((long) co * cpg + ci) * kh + ky) * kw + kx;
                                    s += x.getDouble(xi) * w.getDouble(wi);
                                }
                            }
                        }
                        out.setDouble((((long) b * cout + co) * hout + oy) * wout + ox, s);
                    }
                }
            }
        }
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out) {
        int d = x.dim(-1);
        long rows = x.numel() / d;
        for (long r = 0; r < rows; r++) {
            long o = r * d;
            double mean = 0, var = 0;
            for (int i = 0; i < d; i++) {
                mean += x.getDouble(o + i);
            }
            mean /= d;
            for (int i = 0; i < d; i++) {
                double c = x.getDouble(o + i) - mean;
                var += c * c;
            }
            double inv = 1.0 / Math.sqrt(var / d + eps);
            for (int i = 0; i < d; i++) {
                double y = (x.getDouble(o + i) - mean) * inv;
                if (weight != null) {
                    y = y * weight.getDouble(i) + (bias == null ? 0 : bias.getDouble(i));
                }
                out.setDouble(o + i, y);
            }
        }
    }

    @Override
    public void layerNormChannels(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out) {
        int batch = x.dim(0), c = x.dim(1), len = x.dim(2);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < len; t++) {
                double mean = 0, var = 0;
                for (int ch = 0; ch < c; ch++) {
                    mean += x.getDouble(((long) b * c + ch) * len + t);
                }
                mean /= c;
                for (int ch = 0; ch < c; ch++) {
                    double d = x.getDouble(((long) b * c + ch) * len + t) - mean;
                    var += d * d;
                }
                double inv = 1.0 / Math.sqrt(var / c + eps);
                for (int ch = 0; ch < c; ch++) {
                    long i = ((long) b * c + ch) * len + t;
                    out.setDouble(i, ((x.getDouble(i) - mean) * inv * weight.getDouble(ch) + bias.getDouble(ch)));
                }
            }
        }
    }

    @Override
    public void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, float eps, Tensor out) {
        int batch = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) batch * c);
        int cpg = c / groups;
        for (int b = 0; b < batch; b++) {
            for (int g = 0; g < groups; g++) {
                long o = ((long) b * c + (long) g * cpg) * len, n = cpg * len;
                double mean = 0, var = 0;
                for (long i = 0; i < n; i++) {
                    mean += x.getDouble(o + i);
                }
                mean /= n;
                for (long i = 0; i < n; i++) {
                    double d = x.getDouble(o + i) - mean;
                    var += d * d;
                }
                double inv = 1.0 / Math.sqrt(var / n + eps);
                for (int ci = 0; ci < cpg; ci++) {
                    int ch = g * cpg + ci;
                    for (long t = 0; t < len; t++) {
                        long idx = o + ci * len + t;
                        double y = (x.getDouble(idx) - mean) * inv * weight.getDouble(ch) + bias.getDouble(ch);
                        out.setDouble(idx, y);
                    }
                }
            }
        }
    }

    @Override
    public void batchNorm(Tensor x, Tensor mean, Tensor var, Tensor weight, Tensor bias, float eps, Tensor out) {
        int batch = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) batch * c);
        for (int b = 0; b < batch; b++) {
            for (int ch = 0; ch < c; ch++) {
                double inv = 1.0 / Math.sqrt(var.getDouble(ch) + eps);
                double m = mean.getDouble(ch), wt = weight.getDouble(ch), bs = bias.getDouble(ch);
                long o = ((long) b * c + ch) * len;
                for (long t = 0; t < len; t++) {
                    out.setDouble(o + t, ((x.getDouble(o + t) - m) * inv * wt + bs));
                }
            }
        }
    }

    @Override
    public void softmax(Tensor x, Tensor out) {
        int d = x.dim(-1);
        long rows = x.numel() / d;
        for (long r = 0; r < rows; r++) {
            long o = r * d;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < d; i++) {
                max = Math.max(max, x.getDouble(o + i));
            }
            double sum = 0;
            for (int i = 0; i < d; i++) {
                sum += StrictMath.exp(x.getDouble(o + i) - max);
            }
            for (int i = 0; i < d; i++) {
                out.setDouble(o + i, (StrictMath.exp(x.getDouble(o + i) - max) / sum));
            }
        }
    }

    @Override
    public void activation(Activation f, Tensor x, Tensor out) {
        long n = x.numel();
        for (long i = 0; i < n; i++) {
            out.setDouble(i, f.apply(x.getDouble(i)));
        }
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        long n = a.numel(), m = b.numel();
        for (long i = 0; i < n; i++) {
            out.setDouble(i, a.getDouble(i) + b.getDouble(i % m));
        }
    }

    @Override
    public void maxPool2d(Tensor x, int kh, int kw, Tensor out) {
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), ho = out.dim(2), wo = out.dim(3);
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    double m = Double.NEGATIVE_INFINITY;
                    for (int dy = 0; dy < kh; dy++) {
                        for (int dx = 0; dx < kw; dx++) {
                            double v = x.getDouble(((long) p * h + oy * kh + dy) * w + ox * kw + dx);
                            if (v > m || Double.isNaN(v)) {
                                m = v;
                            }
                        }
                    }
                    out.setDouble(((long) p * ho + oy) * wo + ox, m);
                }
            }
        }
    }

    // ---- training ----

    @Override
    public void batchNormTrain(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                               float momentum, float eps, Tensor out, Tensor saveMean, Tensor saveInvStd) {
        int c = x.dim(1);
        for (int ch = 0; ch < c; ch++) {
            long[] idx = channelIndices(x, ch);
            double[] st = moments(x, idx);
            double mean = st[0], var = st[1], inv = 1.0 / Math.sqrt(var + eps);
            double wt = weight == null ? 1 : weight.getDouble(ch), bs = bias == null ? 0 : bias.getDouble(ch);
            for (long i : idx) {
                out.setDouble(i, (x.getDouble(i) - mean) * inv * wt + bs);
            }
            if (saveMean != null) {
                saveMean.setDouble(ch, mean);
            }
            if (saveInvStd != null) {
                saveInvStd.setDouble(ch, inv);
            }
            if (runningMean != null) {
                runningMean.setDouble(ch, (1 - momentum) * runningMean.getDouble(ch) + momentum * mean);
            }
            if (runningVar != null) {
                double unbiased = var * idx.length / (idx.length - 1);
                runningVar.setDouble(ch, (1 - momentum) * runningVar.getDouble(ch) + momentum * unbiased);
            }
        }
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor weight, Tensor saveMean, Tensor saveInvStd, Tensor dy, Tensor dx,
                                  Tensor dWeight, Tensor dBias) {
        int c = x.dim(1);
        double[] dW = new double[c], dB = new double[c];
        for (int ch = 0; ch < c; ch++) {
            long[] idx = channelIndices(x, ch);
            int[] chs = new int[idx.length];
            java.util.Arrays.fill(chs, ch);
            normalisedBackward(x, dy, idx, chs, weight, saveMean.getDouble(ch), saveInvStd.getDouble(ch), dx, dW, dB);
        }
        addInto(dWeight, dW);
        addInto(dBias, dB);
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db, int m, int n, int k) {
        double[] gx = new double[m * k], gw = new double[n * k], gb = new double[n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double g = dy.getDouble((long) i * n + j);
                gb[j] += g;
                for (int p = 0; p < k; p++) {
                    gx[i * k + p] += g * w.getDouble((long) j * k + p);
                    gw[j * k + p] += g * x.getDouble((long) i * k + p);
                }
            }
        }
        addInto(dx, gx);
        addInto(dw, gw);
        addInto(db, gb);
    }

    @Override
    public void batchedMatmulBackward(Tensor a, Tensor b, boolean transB, Tensor dy, Tensor da, Tensor db, int batch,
                                      int m, int n, int k) {
        double[] ga = new double[batch * m * k], gb = new double[batch * k * n];
        for (int q = 0; q < batch; q++) {
            int ao = q * m * k, bo = q * k * n, oo = q * m * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double g = dy.getDouble(oo + (long) i * n + j);
                    for (int p = 0; p < k; p++) {
                        int bi = transB ? bo + j * k + p : bo + p * n + j;
                        ga[ao + i * k + p] += g * b.getDouble(bi);
                        gb[bi] += g * a.getDouble(ao + (long) i * k + p);
                    }
                }
            }
        }
        addInto(da, ga);
        addInto(db, gb);
    }

    @Override
    public void conv1dBackward(Tensor x, Tensor w, Tensor dy, int stride, int padding, int groups, Tensor dx,
                               Tensor dw, Tensor db) {
        conv2dBackward(x.reshape(x.dim(0), x.dim(1), 1, x.dim(2)), w.reshape(w.dim(0), w.dim(1), 1, w.dim(2)),
                dy.reshape(dy.dim(0), dy.dim(1), 1, dy.dim(2)), 1, stride, 0, padding, groups,
                dx == null ? null : dx.reshape(dx.dim(0), dx.dim(1), 1, dx.dim(2)),
                dw == null ? null : dw.reshape(dw.dim(0), dw.dim(1), 1, dw.dim(2)), db);
    }

    @Override
    public void conv2dBackward(Tensor x, Tensor w, Tensor dy, int strideH, int strideW, int padH, int padW,
                               int groups, Tensor dx, Tensor dw, Tensor db) {
        int batch = x.dim(0), cin = x.dim(1), h = x.dim(2), wd = x.dim(3);
        int cout = w.dim(0), cpg = w.dim(1), kh = w.dim(2), kw = w.dim(3);
        int hout = dy.dim(2), wout = dy.dim(3);
        int coutPerGroup = cout / groups;
        double[] gx = new double[Math.toIntExact(x.numel())], gw = new double[Math.toIntExact(w.numel())];
        double[] gb = new double[cout];
        // The forward loop nest, with each product's two factors collecting the output's gradient.
        for (int b = 0; b < batch; b++) {
            for (int co = 0; co < cout; co++) {
                int g = co / coutPerGroup;
                for (int oy = 0; oy < hout; oy++) {
                    for (int ox = 0; ox < wout; ox++) {
                        double d = dy.getDouble((((long) b * cout + co) * hout + oy) * wout + ox);
                        gb[co] += d;
                        for (int ci = 0; ci < cpg; ci++) {
                            for (int ky = 0; ky < kh; ky++) {
                                int iy = oy * strideH - padH + ky;
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                for (int kx = 0; kx < kw; kx++) {
                                    int ix = ox * strideW - padW + kx;
                                    if (ix < 0 || ix >= wd) {
                                        continue;
                                    }
                                    int xi = (((b * cin + g * cpg + ci) * h + iy) * wd + ix);
                                    int wi = ((co * cpg + ci) * kh + ky) * kw + kx;
                                    gx[xi] += d * w.getDouble(wi);
                                    gw[wi] += d * x.getDouble(xi);
                                }
                            }
                        }
                    }
                }
            }
        }
        addInto(dx, gx);
        addInto(dw, gw);
        addInto(db, gb);
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor weight, float eps, Tensor dy, Tensor dx, Tensor dWeight,
                                  Tensor dBias) {
        int d = x.dim(-1);
        long rows = x.numel() / d;
        double[] dW = new double[d], dB = new double[d];
        int[] chs = new int[d];
        for (int i = 0; i < d; i++) {
            chs[i] = i;
        }
        for (long r = 0; r < rows; r++) {
            long[] idx = new long[d];
            for (int i = 0; i < d; i++) {
                idx[i] = r * d + i;
            }
            double[] st = moments(x, idx);
            normalisedBackward(x, dy, idx, chs, weight, st[0], 1.0 / Math.sqrt(st[1] + eps), dx, dW, dB);
        }
        // Without a weight the forward applies no affine at all, bias included.
        if (weight != null) {
            addInto(dWeight, dW);
            addInto(dBias, dB);
        }
    }

    @Override
    public void layerNormChannelsBackward(Tensor x, Tensor weight, float eps, Tensor dy, Tensor dx, Tensor dWeight,
                                          Tensor dBias) {
        int batch = x.dim(0), c = x.dim(1), len = x.dim(2);
        double[] dW = new double[c], dB = new double[c];
        int[] chs = new int[c];
        for (int i = 0; i < c; i++) {
            chs[i] = i;
        }
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < len; t++) {
                long[] idx = new long[c];
                for (int ch = 0; ch < c; ch++) {
                    idx[ch] = ((long) b * c + ch) * len + t;
                }
                double[] st = moments(x, idx);
                normalisedBackward(x, dy, idx, chs, weight, st[0], 1.0 / Math.sqrt(st[1] + eps), dx, dW, dB);
            }
        }
        addInto(dWeight, dW);
        addInto(dBias, dB);
    }

    @Override
    public void groupNormBackward(Tensor x, int groups, Tensor weight, float eps, Tensor dy, Tensor dx,
                                  Tensor dWeight, Tensor dBias) {
        int batch = x.dim(0), c = x.dim(1);
        int len = Math.toIntExact(x.numel() / ((long) batch * c));
        int cpg = c / groups;
        double[] dW = new double[c], dB = new double[c];
        for (int b = 0; b < batch; b++) {
            for (int g = 0; g < groups; g++) {
                long[] idx = new long[cpg * len];
                int[] chs = new int[cpg * len];
                for (int i = 0; i < idx.length; i++) {
                    idx[i] = ((long) b * c + (long) g * cpg) * len + i;
                    chs[i] = g * cpg + i / len;
                }
                double[] st = moments(x, idx);
                normalisedBackward(x, dy, idx, chs, weight, st[0], 1.0 / Math.sqrt(st[1] + eps), dx, dW, dB);
            }
        }
        addInto(dWeight, dW);
        addInto(dBias, dB);
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        if (dx == null) {
            return;
        }
        int d = y.dim(-1);
        long rows = y.numel() / d;
        for (long r = 0; r < rows; r++) {
            long o = r * d;
            double dot = 0;
            for (int i = 0; i < d; i++) {
                dot += dy.getDouble(o + i) * y.getDouble(o + i);
            }
            for (int i = 0; i < d; i++) {
                dx.setDouble(o + i, dx.getDouble(o + i) + y.getDouble(o + i) * (dy.getDouble(o + i) - dot));
            }
        }
    }

    @Override
    public void activationBackward(Activation f, Tensor x, Tensor y, Tensor dy, Tensor dx) {
        if (dx == null) {
            return;
        }
        long n = x.numel();
        for (long i = 0; i < n; i++) {
            dx.setDouble(i, dx.getDouble(i) + f.derivative(x.getDouble(i)) * dy.getDouble(i));
        }
    }

    @Override
    public void maxPool2dBackward(Tensor x, int kh, int kw, Tensor dy, Tensor dx) {
        if (dx == null) {
            return;
        }
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), ho = dy.dim(2), wo = dy.dim(3);
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    // torch's CPU kernel: start at the window's first element, move on a strictly greater
                    // value or a NaN, so ties go to the first maximum in row-major order.
                    long best = ((long) p * h + (long) oy * kh) * w + (long) ox * kw;
                    double m = Double.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < kh; ky++) {
                        for (int kx = 0; kx < kw; kx++) {
                            long i = ((long) p * h + (long) oy * kh + ky) * w + (long) ox * kw + kx;
                            double v = x.getDouble(i);
                            if (v > m || Double.isNaN(v)) {
                                m = v;
                                best = i;
                            }
                        }
                    }
                    dx.setDouble(best, dx.getDouble(best) + dy.getDouble(((long) p * ho + oy) * wo + ox));
                }
            }
        }
    }

    /** The flat indices of channel {@code ch} of {@code [B, C, ...]}, batch-major. */
    private static long[] channelIndices(Tensor x, int ch) {
        int batch = x.dim(0), c = x.dim(1);
        int len = Math.toIntExact(x.numel() / ((long) batch * c));
        long[] idx = new long[batch * len];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < len; t++) {
                idx[b * len + t] = ((long) b * c + ch) * len + t;
            }
        }
        return idx;
    }

    /** Mean and biased variance of the elements of {@code x} at {@code idx}. */
    private static double[] moments(Tensor x, long[] idx) {
        double mean = 0, var = 0;
        for (long i : idx) {
            mean += x.getDouble(i);
        }
        mean /= idx.length;
        for (long i : idx) {
            double d = x.getDouble(i) - mean;
            var += d * d;
        }
        return new double[] {mean, var / idx.length};
    }

    /**
     * Backward of {@code y = (x - mean) * inv * w[ch] + b[ch]} over one normalised set (a row, a group,
     * a channel), where mean and inv are the set's own statistics:
     * {@code dx += inv * (g - mean(g) - xhat * mean(g * xhat))} with {@code g = dy * w}; the affine
     * gradients {@code sum(dy * xhat)} and {@code sum(dy)} are collected per channel in {@code dW}, {@code dB}.
     */
    private static void normalisedBackward(Tensor x, Tensor dy, long[] idx, int[] ch, Tensor weight, double mean,
                                           double inv, Tensor dx, double[] dW, double[] dB) {
        int n = idx.length;
        double[] xhat = new double[n], g = new double[n];
        double mg = 0, mgx = 0;
        for (int i = 0; i < n; i++) {
            double d = dy.getDouble(idx[i]);
            xhat[i] = (x.getDouble(idx[i]) - mean) * inv;
            g[i] = d * (weight == null ? 1 : weight.getDouble(ch[i]));
            mg += g[i];
            mgx += g[i] * xhat[i];
            dW[ch[i]] += d * xhat[i];
            dB[ch[i]] += d;
        }
        mg /= n;
        mgx /= n;
        if (dx != null) {
            for (int i = 0; i < n; i++) {
                dx.setDouble(idx[i], dx.getDouble(idx[i]) + inv * (g[i] - mg - xhat[i] * mgx));
            }
        }
    }

    /** {@code target += g}, element-wise; nothing when the target is null (gradient not wanted). */
    private static void addInto(Tensor target, double[] g) {
        if (target == null) {
            return;
        }
        for (int i = 0; i < g.length; i++) {
            target.setDouble(i, target.getDouble(i) + g[i]);
        }
    }
}
