package org.sdd4j.model.aasist;

import org.sdd4j.backend.Activation;
import org.sdd4j.backend.Ops;
import org.sdd4j.nn.Linear;
import org.sdd4j.tensor.Tensor;

/**
 * The graph-specific operations of AASIST's back end, each with its backward step: node-pair products,
 * per-block attention scores, node-wise products with the master node, and top-k gathering.
 */
final class GraphOps {
    private GraphOps() {
    }

    /** Chooses the attention vector ({@code [1, Dout]}) for the node pair (i, j). */
    @FunctionalInterface
    interface PairWeight {
        Tensor of(int i, int j);
    }

    /**
     * {@code softmax_j(tanh(proj(x_i * x_j)) . w(i, j) / temperature)} for {@code x} {@code [B, N, D]}:
     * returns {@code [B, N, N]}, each row summing to one.
     */
    static Tensor pairwiseAttention(Ops ops, Tensor x, Linear proj, PairWeight weight, Tensor[] weights,
                                    float temperature) {
        Tensor h = ops.actInPlace(Activation.TANH, proj.forward(ops, pairwiseProduct(ops, x)));
        return ops.softmax(pairScores(ops, h, weight, weights, temperature));
    }

    /** {@code y[b, i, j, :] = x[b, i, :] * x[b, j, :]}. */
    static Tensor pairwiseProduct(Ops ops, Tensor x) {
        int b = x.dim(0), n = x.dim(1), d = x.dim(2);
        Tensor y = ops.empty(b, n, n, d);
        ops.backend().pairwiseProduct(x, y);
        ops.record(y, Ops.saved(x), dy -> {
            // d/dx_i of sum_j dy_ij (x_i x_j) + sum_j dy_ji (x_j x_i) = sum_j (dy_ij + dy_ji) x_j
            Tensor dx = ops.tape().grad(x);
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
        }, x);
        return y;
    }

    /** {@code s[b, i, j] = (h[b, i, j, :] . w(i, j)) / temperature}; {@code weights} lists every w used. */
    static Tensor pairScores(Ops ops, Tensor h, PairWeight weight, Tensor[] weights, float temperature) {
        int b = h.dim(0), n = h.dim(1), dout = h.dim(3);
        Tensor s = ops.empty(b, n, n);
        ops.backend().pairScores(h, weights, weightIndex(weight, weights, n), temperature, s);
        Tensor[] inputs = new Tensor[weights.length + 1];
        inputs[0] = h;
        System.arraycopy(weights, 0, inputs, 1, weights.length);
        ops.record(s, inputs, ds -> {
            // Attention-vector gradients sum over every pair: accumulate them in double, write once.
            Tensor dh = ops.tape().grad(h);
            java.util.Map<Tensor, double[]> dws = new java.util.IdentityHashMap<>();
            for (Tensor w : weights) {
                if (ops.tape().grad(w) != null) {
                    dws.put(w, new double[dout]);
                }
            }
            for (int q = 0; q < b; q++) {
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        Tensor w = weight.of(i, j);
                        double[] dw = dws.get(w);
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
            dws.forEach((w, acc) -> {
                Tensor dw = ops.tape().grad(w);
                for (int k = 0; k < dout; k++) {
                    dw.setFloat(k, (float) (dw.getFloat(k) + acc[k]));
                }
            });
        }, inputs);
        return s;
    }

    /** For each node pair (i, j), at {@code i * n + j}, the index in {@code weights} of the vector it uses. */
    private static int[] weightIndex(PairWeight weight, Tensor[] weights, int n) {
        int[] index = new int[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                Tensor w = weight.of(i, j);
                int at = 0;
                while (weights[at] != w) { // identity: the same parameter tensor
                    at++;
                    if (at == weights.length) {
                        throw new IllegalArgumentException("pair (" + i + ", " + j + ") uses a weight not listed");
                    }
                }
                index[i * n + j] = at;
            }
        }
        return index;
    }

    /** {@code y[b, n, :] = x[b, n, :] * m[b, 0, :]}: every node times its utterance's master node. */
    static Tensor mulNodes(Ops ops, Tensor x, Tensor m) {
        int b = x.dim(0), n = x.dim(1), d = x.dim(2);
        Tensor y = ops.empty(b, n, d);
        ops.backend().mul(x, m, n, d, y);
        ops.record(y, Ops.saved(x, m), dy -> {
            Tensor dx = ops.tape().grad(x), dm = ops.tape().grad(m);
            double[] acc = new double[b * d];
            for (int q = 0; q < b; q++) {
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < d; k++) {
                        long at = ((long) q * n + i) * d + k, mk = (long) q * d + k;
                        float g = dy.getFloat(at);
                        if (dx != null) {
                            dx.setFloat(at, dx.getFloat(at) + g * m.getFloat(mk));
                        }
                        acc[(int) mk] += (double) g * x.getFloat(at);
                    }
                }
            }
            for (int i = 0; dm != null && i < acc.length; i++) {
                dm.setFloat(i, (float) (dm.getFloat(i) + acc[i]));
            }
        }, x, m);
        return y;
    }

    /**
     * {@code y[b, r, :] = h[b, idx[b][r], :] * s[b, idx[b][r]]}: the kept nodes of a graph pool, scaled by
     * their scores ({@code s} is {@code [B, N, 1]}).
     */
    static Tensor gatherScaled(Ops ops, Tensor h, Tensor s, int[][] idx) {
        int b = h.dim(0), n = h.dim(1), d = h.dim(2), keep = idx[0].length;
        Tensor y = ops.empty(b, keep, d);
        ops.backend().gatherScaled(h, s, idx, y);
        ops.record(y, Ops.saved(h, s), dy -> {
            Tensor dh = ops.tape().grad(h), ds = ops.tape().grad(s);
            for (int q = 0; q < b; q++) {
                for (int r = 0; r < keep; r++) {
                    int node = idx[q][r];
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
        }, h, s);
        return y;
    }
}
