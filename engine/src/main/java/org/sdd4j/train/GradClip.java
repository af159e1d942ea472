package org.sdd4j.train;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Gradient-norm clipping as {@code torch.nn.utils.clip_grad_norm_} (L2 norm over all gradients). */
public final class GradClip {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private GradClip() {
    }

    /**
     * Scales every gradient by {@code min(1, maxNorm / (norm + 1e-6))} and returns the norm before clipping.
     */
    public static double clip(Parameters params, double maxNorm) {
        double sq = 0;
        for (Parameters.Entry e : params.entries()) {
            if (e.trainable()) {
                MemorySegment g = e.grad().data();
                for (long i = 0, n = e.grad().numel(); i < n; i++) {
                    double v = g.getAtIndex(F, i);
                    sq += v * v;
                }
            }
        }
        double norm = Math.sqrt(sq);
        float coef = (float) Math.min(1.0, maxNorm / (norm + 1e-6));
        if (coef < 1f) {
            for (Parameters.Entry e : params.entries()) {
                if (e.trainable()) {
                    MemorySegment g = e.grad().data();
                    for (long i = 0, n = e.grad().numel(); i < n; i++) {
                        g.setAtIndex(F, i, g.getAtIndex(F, i) * coef);
                    }
                }
            }
        }
        return norm;
    }
}
