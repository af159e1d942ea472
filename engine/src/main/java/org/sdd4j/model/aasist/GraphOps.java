package org.sdd4j.model.aasist;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.sdd4j.backend.Activation;
import org.sdd4j.backend.Ops;
import org.sdd4j.nn.Linear;
import org.sdd4j.tensor.Tensor;

/** The attention-map computation shared by the homogeneous and heterogeneous graph layers. */
final class GraphOps {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

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
    static Tensor pairwiseAttention(Ops ops, Tensor x, Linear proj, PairWeight weight, float temperature) {
        int b = x.dim(0), n = x.dim(1), d = x.dim(2);
        Tensor pairs = ops.zeros(b, n, n, d);
        MemorySegment xs = x.data(), ps = pairs.data();
        for (int q = 0; q < b; q++) {
            for (int i = 0; i < n; i++) {
                long xi = ((long) q * n + i) * d;
                for (int j = 0; j < n; j++) {
                    long xj = ((long) q * n + j) * d, po = (((long) q * n + i) * n + j) * d;
                    for (int k = 0; k < d; k++) {
                        ps.setAtIndex(F, po + k, xs.getAtIndex(F, xi + k) * xs.getAtIndex(F, xj + k));
                    }
                }
            }
        }
        Tensor h = ops.actInPlace(Activation.TANH, proj.forward(ops, pairs));
        int dout = h.dim(-1);
        Tensor scores = ops.zeros(b, n, n);
        for (int q = 0; q < b; q++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    Tensor w = weight.of(i, j);
                    long ho = (((long) q * n + i) * n + j) * dout;
                    float s = 0;
                    for (int k = 0; k < dout; k++) {
                        s += h.getFloat(ho + k) * w.getFloat(k);
                    }
                    scores.setFloat(((long) q * n + i) * n + j, s / temperature);
                }
            }
        }
        return ops.softmax(scores);
    }
}
