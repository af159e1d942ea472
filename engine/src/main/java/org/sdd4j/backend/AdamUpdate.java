package org.sdd4j.backend;

import org.sdd4j.tensor.Tensor;

/**
 * The scalars of one Adam / AdamW update of one parameter, formed as torch.optim forms them (Python floats
 * rounded once to float32), and the update itself on host memory, which {@link Backend#adamStep} providers
 * reproduce bit for bit:
 * <pre>
 *   AdamW: p *= decay (decay = 1 - lr wd)      Adam: g += wd p
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g g
 *   p -= stepSize * (m / ((float) (sqrt(v) / bc2Sqrt) + eps))
 * </pre>
 *
 * @param decoupled whether weight decay is AdamW's (on the weight) rather than Adam's (on the gradient)
 * @param stepSize  {@code lr / (1 - beta1^t)}
 * @param bc2Sqrt   {@code sqrt(1 - beta2^t)}, kept in double as torch keeps it
 */
public record AdamUpdate(boolean decoupled, float beta1, float beta2, float oneMinusBeta1, float oneMinusBeta2,
                         float eps, float weightDecay, float decay, float stepSize, double bc2Sqrt) {

    /** The update at step {@code t} (1-based) with learning rate {@code lr}. */
    public static AdamUpdate at(boolean decoupled, double lr, double beta1, double beta2, double eps,
                                double weightDecay, long t) {
        double bc1 = 1 - Math.pow(beta1, t);
        return new AdamUpdate(decoupled, (float) beta1, (float) beta2, (float) (1 - beta1), (float) (1 - beta2),
                (float) eps, (float) weightDecay, (float) (1 - lr * weightDecay), (float) (lr / bc1),
                Math.sqrt(1 - Math.pow(beta2, t)));
    }

    /** Applies the update to host tensors: parameter {@code p}, gradient {@code g}, moments {@code m} and {@code v}. */
    public void applyOnHost(Tensor p, Tensor g, Tensor m, Tensor v) {
        for (long i = 0, n = p.numel(); i < n; i++) {
            float pi = p.getFloat(i), gi = g.getFloat(i);
            if (decoupled) {
                pi = pi * decay;
            } else if (weightDecay != 0) {
                gi = gi + weightDecay * pi;
            }
            float mi = m.getFloat(i) * beta1 + oneMinusBeta1 * gi;
            float vi = v.getFloat(i) * beta2 + oneMinusBeta2 * gi * gi;
            m.setFloat(i, mi);
            v.setFloat(i, vi);
            float denom = (float) (Math.sqrt(vi) / bc2Sqrt) + eps;
            p.setFloat(i, pi - stepSize * (mi / denom));
        }
    }
}
