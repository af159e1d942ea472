package org.sdd4j.train.grpo;

import org.sdd4j.metrics.SampleStats;

/**
 * Rewards and advantages of GRPO's sampled labels: {@code A = (r - mean) / (std + 1e-5)} with the unbiased
 * standard deviation (torch's {@code std()}), over the whole batch of {@code B x G} samples (the reference's
 * "grpo3") or within each utterance's group (DeepSeekMath).
 */
public final class GroupAdvantages {
    /** Added to the standard deviation so a batch where every sample earned the same reward gives A = 0. */
    public static final double STD_EPS = 1e-5;

    private GroupAdvantages() {
    }

    /** Reward of each sampled label ({@code [B * G]}) against its utterance's true label. */
    public static double[] rewards(int[] sampled, int[] labels, GrpoOptions.RewardMode mode) {
        int g = sampled.length / labels.length;
        double[] r = new double[sampled.length];
        for (int n = 0; n < sampled.length; n++) {
            r[n] = mode.of(sampled[n] == labels[n / g]);
        }
        return r;
    }

    /** Normalised advantages of {@code rewards} ({@code [B * G]}, groups of {@code groupSize} in a row). */
    public static double[] of(double[] rewards, int groupSize, GrpoOptions.AdvantageScope scope) {
        if (rewards.length % groupSize != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards do not form groups of " + groupSize);
        }
        int span = scope == GrpoOptions.AdvantageScope.BATCH ? rewards.length : groupSize;
        double[] a = new double[rewards.length];
        for (int from = 0; from < rewards.length; from += span) {
            double mean = SampleStats.mean(rewards, from, from + span);
            double std = SampleStats.std(rewards, from, from + span, mean);
            for (int n = from; n < from + span; n++) {
                a[n] = (rewards[n] - mean) / (std + STD_EPS);
            }
        }
        return a;
    }
}
