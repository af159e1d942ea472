package org.sdd4j.nn;

import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Ops;
import org.sdd4j.tensor.Tensor;

/**
 * torch's weight normalisation as a taped operation: {@code w = g * v / ||v||}, the norm taken over all
 * dimensions but {@code dim} ({@link Backend#weightNorm}). Inference uses the weight resolved once and cached;
 * training recomputes it each step so that gradients reach {@code g} and {@code v}.
 */
public final class WeightNorm {
    private WeightNorm() {
    }

    /** The weight {@code g * v / ||v||} into {@code out} (no tape): the inference path, computed once and cached. */
    public static void compute(Backend backend, Tensor g, Tensor v, int dim, Tensor out) {
        backend.weightNorm(g, v, dim, out);
    }

    public static Tensor apply(Ops ops, Tensor g, Tensor v, int dim) {
        Tensor w = ops.empty(v.shape());
        ops.backend().weightNorm(g, v, dim, w);
        ops.record(w, Ops.saved(g, v),
                dw -> ops.backend().weightNormBackward(g, v, dim, dw, ops.tape().grad(g), ops.tape().grad(v)), g, v);
        return w;
    }
}
