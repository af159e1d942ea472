package org.sdd4j.train.grpo;

import org.sdd4j.backend.Ops;
import org.sdd4j.tensor.Tensor;

/**
 * GRPO's objective on the sampled labels and its gradient with respect to the policy logits, in double:
 * <pre>
 *   logp   = log softmax(z)[a]                    (a: a sampled label, z: its utterance's policy logits)
 *   ratio  = exp(logp - logp_old)                  grpo; grpo_s: exp(logp - logp.detach()) = 1, no clip
 *   term   = min(ratio A, clip(ratio, 1 - eps, 1 + eps) A)        reinforce: r logp
 *   kl     = exp(l_ref - logp) - (l_ref - logp) - 1                (k3 estimator; 0 when beta = 0)
 *   loss   = -mean over B x G of (term - beta kl)
 * </pre>
 * The gradient follows torch's autograd for these expressions: {@code min} sends its gradient to the smaller
 * branch, and {@code clamp} passes none outside its range, so a sample whose clipped branch wins contributes
 * nothing but its KL term. {@link #tape} records it so it flows on through the model's backward.
 */
public final class GrpoLoss {
    private GrpoLoss() {
    }

    /** The loss, {@code d loss / d policy logits} ({@code [B, C]}) and the statistics a step logs. */
    public record Evaluation(double loss, double[] logitGrad, double klMean, double clipFraction,
                             double ratioMaxDeviation) {
    }

    /**
     * @param policy     policy logits {@code [B, C]}
     * @param old        old-policy logits {@code [B, C]} (variant grpo only; null otherwise)
     * @param reference  reference-policy logits {@code [B, C]}, or null when {@code beta == 0}
     * @param sampled    sampled labels {@code [B * G]}, utterance-major
     * @param rewards    reward per sample (used by reinforce)
     * @param advantages advantage per sample (used by grpo and grpo_s)
     */
    public static Evaluation evaluate(GrpoOptions o, int classes, double[] policy, double[] old, double[] reference,
                                      int[] sampled, double[] rewards, double[] advantages) {
        int n = sampled.length, rows = policy.length / classes, g = n / rows;
        if (rows * g != n || rewards.length != n || advantages.length != n) {
            throw new IllegalArgumentException(n + " samples, " + rewards.length + " rewards and " + advantages.length
                    + " advantages for " + rows + " utterances");
        }
        if (o.variant() == GrpoOptions.Variant.GRPO && old == null) {
            throw new IllegalArgumentException("variant grpo needs the old policy's logits");
        }
        boolean kl = o.beta() > 0;
        if (kl && reference == null) {
            throw new IllegalArgumentException("kl_weight " + o.beta() + " needs the reference policy's logits");
        }
        double[] logp = logSoftmax(policy, classes);
        double[] prob = new double[logp.length]; // softmax(z), for d logp / d z; one exp per logit, not per sample
        for (int k = 0; k < prob.length; k++) {
            prob[k] = StrictMath.exp(logp[k]);
        }
        double[] logpOld = old == null ? null : logSoftmax(old, classes);
        double[] logpRef = kl ? logSoftmax(reference, classes) : null;
        double[] grad = new double[policy.length];
        double total = 0, klSum = 0, maxDev = 0;
        long clipped = 0;
        for (int s = 0; s < n; s++) {
            int i = s / g, at = i * classes + sampled[s];
            if (sampled[s] < 0 || sampled[s] >= classes) {
                throw new IllegalArgumentException("sampled label " + sampled[s] + " outside [0, " + classes + ")");
            }
            double lp = logp[at], term, dTerm; // dTerm: d term / d logp
            switch (o.variant()) {
                case GRPO -> {
                    double ratio = StrictMath.exp(lp - logpOld[at]);
                    double lo = 1 - o.clipEps(), hi = 1 + o.clipEps();
                    double clip = Math.min(Math.max(ratio, lo), hi);
                    double a = advantages[s], plain = ratio * a, bounded = clip * a;
                    term = Math.min(plain, bounded);
                    // A tie with a != 0 means ratio lies inside the range, where both branches have gradient ratio * a.
                    dTerm = plain <= bounded ? plain : 0;
                    clipped += ratio < lo || ratio > hi ? 1 : 0;
                    maxDev = Math.max(maxDev, Math.abs(ratio - 1));
                }
                case GRPO_S -> {
                    term = advantages[s];
                    dTerm = advantages[s];
                }
                case REINFORCE -> {
                    term = rewards[s] * lp;
                    dTerm = rewards[s];
                }
                default -> throw new IllegalStateException(o.variant().name());
            }
            double objective = term, dObjective = dTerm;
            if (kl) {
                double d = logpRef[at] - lp, e = StrictMath.exp(d), k = e - d - 1;
                klSum += k;
                objective -= o.beta() * k;
                dObjective -= o.beta() * (1 - e); // d kl / d logp = 1 - exp(l_ref - logp)
            }
            total += objective;
            // d logp / d z_j = [j == a] - softmax(z)_j; the loss is -mean, hence the -1/N.
            double dLogp = -dObjective / n;
            for (int j = 0; j < classes; j++) {
                grad[i * classes + j] += dLogp * ((j == sampled[s] ? 1 : 0) - prob[i * classes + j]);
            }
        }
        return new Evaluation(-total / n, grad, kl ? klSum / n : 0, (double) clipped / n, maxDev);
    }

    /**
     * The evaluated loss as a one-element tensor whose backward adds {@code dLoss * logitGrad} to the gradient
     * of {@code logits} (the policy pass's output, on the tape of {@code ops}).
     */
    public static Tensor tape(Ops ops, Tensor logits, Evaluation e) {
        return ops.hostLoss(logits, e.loss(), e.logitGrad());
    }

    /** Row-wise log-softmax of {@code [rows, classes]} logits: {@code z - max - log sum exp(z - max)}. */
    static double[] logSoftmax(double[] z, int classes) {
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i += classes) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < classes; j++) {
                max = Math.max(max, z[i + j]);
            }
            double sum = 0;
            for (int j = 0; j < classes; j++) {
                sum += StrictMath.exp(z[i + j] - max);
            }
            double log = StrictMath.log(sum);
            for (int j = 0; j < classes; j++) {
                out[i + j] = z[i + j] - max - log;
            }
        }
        return out;
    }
}
