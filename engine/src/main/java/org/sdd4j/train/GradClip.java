package org.sdd4j.train;

/** Gradient-norm clipping as {@code torch.nn.utils.clip_grad_norm_} (L2 norm over all gradients). */
public final class GradClip {
    private GradClip() {
    }

    /**
     * Scales every gradient by {@code min(1, maxNorm / (norm + 1e-6))} and returns the norm before clipping.
     */
    public static double clip(Parameters params, double maxNorm) {
        double norm = Math.sqrt(params.gradientSumOfSquares());
        float coef = (float) Math.min(1.0, maxNorm / (norm + 1e-6));
        if (coef < 1f) {
            params.scaleGradients(coef);
        }
        return norm;
    }
}
