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

    /** Dropout on the score branch's input in the reference (training only). */
    static final double SCORE_DROPOUT = 0.3;

    Tensor forward(Ops ops, Tensor h) {
        int b = h.dim(0), n = h.dim(1);
        Tensor scores = ops.actInPlace(Activation.SIGMOID, proj.forward(ops, ops.dropout(h, SCORE_DROPOUT)));
        int keep = kept(n, ratio);
        // Ranking a few dozen scores is host work: the scores come down, the gather runs where h lives.
        Tensor hostScores = ops.download(scores);
        int[][] idx = new int[b][];
        for (int q = 0; q < b; q++) {
            final int batch = q;
            Integer[] order = new Integer[n];
            Arrays.setAll(order, i -> i);
            Arrays.sort(order, Comparator.comparingDouble(i -> -hostScores.getFloat((long) batch * n + i)));
            idx[q] = new int[keep];
            for (int r = 0; r < keep; r++) {
                idx[q][r] = order[r];
            }
        }
        return GraphOps.gatherScaled(ops, h, scores, idx);
    }
}
