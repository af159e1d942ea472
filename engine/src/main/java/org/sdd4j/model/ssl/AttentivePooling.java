package org.sdd4j.model.ssl;

import org.sdd4j.backend.Ops;
import org.sdd4j.backend.PoolingAxis;
import org.sdd4j.tensor.Tensor;

/** SSL-AASIST's self-attentive pooling: {@code sum(x * softmax(w, dim), dim)} over one axis of {@code [B, C, F, T]}. */
final class AttentivePooling {
    private AttentivePooling() {
    }

    /** @param dim 3 pools over time (spectral nodes), 2 over frequency (temporal nodes) */
    static Tensor sum(Ops ops, Tensor x, Tensor w, int dim) {
        Tensor out = ops.empty(x.dim(0), x.dim(1), PoolingAxis.of(x, dim).other());
        Tensor p = ops.empty(x.shape()); // the softmax weights, kept for backward
        ops.backend().attentivePool(x, w, dim, out, p);
        // Backward reads x, the softmax weights and the output, never w itself.
        ops.record(out, Ops.saved(x, p, out),
                dy -> ops.backend().attentivePoolBackward(x, p, out, dim, dy, ops.tape().grad(x), ops.tape().grad(w)),
                x, w);
        return out;
    }
}
