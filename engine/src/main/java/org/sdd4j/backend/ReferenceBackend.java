package org.sdd4j.backend;

import org.sdd4j.tensor.Tensor;

/**
 * The plain, obviously correct definition of every operation: scalar loops, double accumulation, one
 * thread. It is the meaning tests hold the fast providers to, never the path users run.
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
                double s = bias == null ? 0 : bias.getFloat(j);
                for (int p = 0; p < k; p++) {
                    s += (double) a.getFloat((long) i * k + p) * w.getFloat((long) j * k + p);
                }
                out.setFloat((long) i * n + j, (float) s);
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
                        float bv = transB ? b.getFloat(bo + (long) j * k + p) : b.getFloat(bo + (long) p * n + j);
                        s += (double) a.getFloat(ao + (long) i * k + p) * bv;
                    }
                    out.setFloat(oo + (long) i * n + j, (float) s);
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
                    double s = bias == null ? 0 : bias.getFloat(co);
                    for (int ci = 0; ci < cpg; ci++) {
                        long xo = ((long) b * cin + g * cpg + ci) * len;
                        long wo = ((long) co * cpg + ci) * kw;
                        for (int q = 0; q < kw; q++) {
                            int pos = t * stride - padding + q;
                            if (pos >= 0 && pos < len) {
                                s += (double) x.getFloat(xo + pos) * w.getFloat(wo + q);
                            }
                        }
                    }
                    out.setFloat(((long) b * cout + co) * lout + t, (float) s);
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
                        double s = bias == null ? 0 : bias.getFloat(co);
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
                                    s += (double) x.getFloat(xi) * w.getFloat(wi);
                                }
                            }
                        }
                        out.setFloat((((long) b * cout + co) * hout + oy) * wout + ox, (float) s);
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
                mean += x.getFloat(o + i);
            }
            mean /= d;
            for (int i = 0; i < d; i++) {
                double c = x.getFloat(o + i) - mean;
                var += c * c;
            }
            double inv = 1.0 / Math.sqrt(var / d + eps);
            for (int i = 0; i < d; i++) {
                double y = (x.getFloat(o + i) - mean) * inv;
                if (weight != null) {
                    y = y * weight.getFloat(i) + (bias == null ? 0 : bias.getFloat(i));
                }
                out.setFloat(o + i, (float) y);
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
                    mean += x.getFloat(((long) b * c + ch) * len + t);
                }
                mean /= c;
                for (int ch = 0; ch < c; ch++) {
                    double d = x.getFloat(((long) b * c + ch) * len + t) - mean;
                    var += d * d;
                }
                double inv = 1.0 / Math.sqrt(var / c + eps);
                for (int ch = 0; ch < c; ch++) {
                    long i = ((long) b * c + ch) * len + t;
                    out.setFloat(i, (float) ((x.getFloat(i) - mean) * inv * weight.getFloat(ch) + bias.getFloat(ch)));
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
                    mean += x.getFloat(o + i);
                }
                mean /= n;
                for (long i = 0; i < n; i++) {
                    double d = x.getFloat(o + i) - mean;
                    var += d * d;
                }
                double inv = 1.0 / Math.sqrt(var / n + eps);
                for (int ci = 0; ci < cpg; ci++) {
                    int ch = g * cpg + ci;
                    for (long t = 0; t < len; t++) {
                        long idx = o + ci * len + t;
                        double y = (x.getFloat(idx) - mean) * inv * weight.getFloat(ch) + bias.getFloat(ch);
                        out.setFloat(idx, (float) y);
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
                double inv = 1.0 / Math.sqrt((double) var.getFloat(ch) + eps);
                double m = mean.getFloat(ch), wt = weight.getFloat(ch), bs = bias.getFloat(ch);
                long o = ((long) b * c + ch) * len;
                for (long t = 0; t < len; t++) {
                    out.setFloat(o + t, (float) ((x.getFloat(o + t) - m) * inv * wt + bs));
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
                max = Math.max(max, x.getFloat(o + i));
            }
            double sum = 0;
            for (int i = 0; i < d; i++) {
                sum += Math.exp(x.getFloat(o + i) - max);
            }
            for (int i = 0; i < d; i++) {
                out.setFloat(o + i, (float) (Math.exp(x.getFloat(o + i) - max) / sum));
            }
        }
    }

    @Override
    public void activation(Activation f, Tensor x, Tensor out) {
        long n = x.numel();
        for (long i = 0; i < n; i++) {
            out.setFloat(i, (float) f.apply(x.getFloat(i)));
        }
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        long n = a.numel(), m = b.numel();
        for (long i = 0; i < n; i++) {
            out.setFloat(i, a.getFloat(i) + b.getFloat(i % m));
        }
    }

    @Override
    public void maxPool2d(Tensor x, int kh, int kw, Tensor out) {
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), ho = out.dim(2), wo = out.dim(3);
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int dy = 0; dy < kh; dy++) {
                        for (int dx = 0; dx < kw; dx++) {
                            float v = x.getFloat(((long) p * h + oy * kh + dy) * w + ox * kw + dx);
                            if (v > m || Float.isNaN(v)) {
                                m = v;
                            }
                        }
                    }
                    out.setFloat(((long) p * ho + oy) * wo + ox, m);
                }
            }
        }
    }
}
