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
        ops.record(y, Ops.saved(x), dy -> ops.backend().pairwiseProductBackward(x, dy, ops.tape().grad(x)), x);
        return y;
    }

    /** {@code s[b, i, j] = (h[b, i, j, :] . w(i, j)) / temperature}; {@code weights} lists every w used. */
    static Tensor pairScores(Ops ops, Tensor h, PairWeight weight, Tensor[] weights, float temperature) {
        int n = h.dim(1);
        Tensor s = ops.empty(h.dim(0), n, n);
        int[] weightOfPair = weightIndex(weight, weights, n);
        ops.backend().pairScores(h, weights, weightOfPair, temperature, s);
        Tensor[] inputs = new Tensor[weights.length + 1];
        inputs[0] = h;
        System.arraycopy(weights, 0, inputs, 1, weights.length);
        ops.record(s, inputs, ds -> {
            Tensor[] dWeights = new Tensor[weights.length];
            for (int i = 0; i < weights.length; i++) {
                dWeights[i] = ops.tape().grad(weights[i]);
            }
            ops.backend().pairScoresBackward(h, weights, weightOfPair, temperature, ds, ops.tape().grad(h), dWeights);
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
        ops.record(y, Ops.saved(x, m),
                dy -> ops.backend().mulBackward(x, m, dy, n, d, ops.tape().grad(x), ops.tape().grad(m)), x, m);
        return y;
    }

    /**
     * {@code y[b, r, :] = h[b, idx[b][r], :] * s[b, idx[b][r]]}: the kept nodes of a graph pool, scaled by
     * their scores ({@code s} is {@code [B, N, 1]}).
     */
    static Tensor gatherScaled(Ops ops, Tensor h, Tensor s, Tensor idx) {
        Tensor y = ops.empty(h.dim(0), idx.dim(1), h.dim(2));
        ops.backend().gatherScaled(h, s, idx, y);
        ops.record(y, Ops.saved(h, s, idx),
                dy -> ops.backend().gatherScaledBackward(h, s, idx, dy, ops.tape().grad(h), ops.tape().grad(s)), h, s);
        return y;
    }
}
