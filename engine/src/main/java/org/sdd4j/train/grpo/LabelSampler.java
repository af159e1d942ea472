package org.sdd4j.train.grpo;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.sdd4j.data.Seeds;

/**
 * Draws GRPO's "actions": {@code G} labels per utterance, with replacement, from the policy's softmax.
 * The generator of a step depends only on the run seed and the step, so a resumed run draws the same labels.
 */
public final class LabelSampler {
    /** Stream tag that keeps label draws apart from the data and dropout streams of the same step. */
    private static final long LABELS = 0x5A3D_1E55_0000_0A11L;

    private LabelSampler() {
    }

    /** The generator for the labels of global step {@code step} of a run seeded with {@code seed}. */
    public static RandomGenerator forStep(long seed, long step) {
        return new SplittableRandom(Seeds.mix(seed, LABELS, step));
    }

    /** Row-wise softmax of {@code [rows, classes]} logits, in double (max subtracted first). */
    public static double[] softmax(double[] logits, int classes) {
        double[] p = new double[logits.length];
        for (int i = 0; i < logits.length; i += classes) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < classes; j++) {
                max = Math.max(max, logits[i + j]);
            }
            double z = 0;
            for (int j = 0; j < classes; j++) {
                p[i + j] = StrictMath.exp(logits[i + j] - max);
                z += p[i + j];
            }
            for (int j = 0; j < classes; j++) {
                p[i + j] /= z;
            }
        }
        return p;
    }

    /**
     * {@code groupSize} labels per row of {@code probs} ({@code [rows, classes]}), by inverse CDF of one uniform
     * draw each; the result is {@code [rows * groupSize]}, row-major (utterance, then sample).
     */
    public static int[] sample(double[] probs, int classes, int groupSize, RandomGenerator rng) {
        int rows = probs.length / classes;
        int[] out = new int[rows * groupSize];
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < groupSize; k++) {
                double u = rng.nextDouble(), cum = 0;
                int label = classes - 1; // rounding can leave the cumulative sum just under 1
                for (int j = 0; j < classes - 1; j++) {
                    cum += probs[i * classes + j];
                    if (u < cum) {
                        label = j;
                        break;
                    }
                }
                out[i * groupSize + k] = label;
            }
        }
        return out;
    }
}
