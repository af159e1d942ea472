package org.sdd4j.model.aasist;

import java.util.Arrays;
import java.util.Comparator;
import org.sdd4j.backend.Activation;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.nn.Linear;
import org.sdd4j.tensor.Tensor;

/**
 * Top-k graph pooling: scores {@code s = sigmoid(proj(h))}, keep the {@code max(int(N * k), 1)} nodes
 * with the highest scores (descending, as torch.topk), output {@code h * s} at those nodes.
 */
final class GraphPool {
    private final Linear proj;
    private final double ratio;

    GraphPool(StateDict sd, String prefix, int dim, double ratio) {
        this.proj = Linear.load(sd, prefix + ".proj", dim, 1, true);
        this.ratio = ratio;
    }

    /** Nodes kept out of {@code n}; {@code int(n * k)} in double precision, as Python computes it. */
    static int kept(int n, double ratio) {
        return Math.max((int) (n * ratio), 1);
    }

    Tensor forward(Ops ops, Tensor h) {
        int b = h.dim(0), n = h.dim(1), d = h.dim(2);
        Tensor scores = ops.actInPlace(Activation.SIGMOID, proj.forward(ops, h));
        int keep = kept(n, ratio);
        Tensor out = ops.zeros(b, keep, d);
        for (int q = 0; q < b; q++) {
            final int batch = q;
            Integer[] order = new Integer[n];
            Arrays.setAll(order, i -> i);
            Arrays.sort(order, Comparator.comparingDouble(i -> -scores.getFloat((long) batch * n + i)));
            for (int r = 0; r < keep; r++) {
                int node = order[r];
                float s = scores.getFloat((long) q * n + node);
                for (int k = 0; k < d; k++) {
                    out.setFloat(((long) q * keep + r) * d + k, h.getFloat(((long) q * n + node) * d + k) * s);
                }
            }
        }
        return out;
    }
}
