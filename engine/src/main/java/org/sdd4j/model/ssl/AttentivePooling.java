package org.sdd4j.model.ssl;

import org.sdd4j.backend.Ops;
import org.sdd4j.tensor.Tensor;

/** SSL-AASIST's self-attentive pooling: {@code sum(x * softmax(w, dim), dim)} over one axis of {@code [B, C, F, T]}. */
final class AttentivePooling {
    private AttentivePooling() {
    }

    /** @param dim 3 pools over time (spectral nodes), 2 over frequency (temporal nodes) */
    static Tensor sum(Ops ops, Tensor x, Tensor w, int dim) {
        int b = x.dim(0), c = x.dim(1), f = x.dim(2), t = x.dim(3);
        int len = dim == 3 ? t : f, other = dim == 3 ? f : t;
        long step = dim == 3 ? 1 : t, otherStep = dim == 3 ? t : 1;
        Tensor out = ops.empty(b, c, other);
        Tensor p = ops.empty(x.shape()); // the softmax weights, kept for backward
        ops.backend().attentivePool(x, w, dim, out, p);
        // Backward reads x, the softmax weights and the output, never w itself.
        ops.record(out, Ops.saved(x, p, out), dy -> {
            // y = sum_i x_i p_i with p = softmax(w): dx_i = dy p_i, dw_i = dy p_i (x_i - y).
            Tensor dx = ops.tape().grad(x), dw = ops.tape().grad(w);
            for (long plane = 0; plane < (long) b * c; plane++) {
                long base = plane * f * t;
                for (int o = 0; o < other; o++) {
                    long at = base + o * otherStep;
                    float g = dy.getFloat(plane * other + o), y = out.getFloat(plane * other + o);
                    for (int i = 0; i < len; i++) {
                        long k = at + i * step;
                        float pi = p.getFloat(k);
                        if (dx != null) {
                            dx.setFloat(k, dx.getFloat(k) + g * pi);
                        }
                        if (dw != null) {
                            dw.setFloat(k, dw.getFloat(k) + g * pi * (x.getFloat(k) - y));
                        }
                    }
                }
            }
        }, x, w);
        return out;
    }
}
