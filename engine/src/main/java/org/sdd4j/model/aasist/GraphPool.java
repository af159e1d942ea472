package org.sdd4j.model.aasist;

import org.sdd4j.backend.Activation;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.nn.Linear;
import org.sdd4j.tensor.DType;
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
        // The ranking runs where the scores are (on a GPU, no round trip to the host); int32 node indices.
        Tensor idx = ops.empty(b, keep).as(DType.I32);
        ops.backend().topK(scores.reshape(b, n), keep, idx);
        return GraphOps.gatherScaled(ops, h, scores, idx);
    }
}
