package org.sdd4j.train.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Label draws repeat for a fixed seed and step, differ across steps, and follow the policy's softmax. */
class LabelSamplerTest {
    @Test
    void sameSeedAndStepDrawTheSameLabels() {
        double[] p = LabelSampler.softmax(new double[] {0.2, -0.4, 1.5, 1.0, -3, 2}, 2);
        int[] a = LabelSampler.sample(p, 2, 64, LabelSampler.forStep(7, 12));
        int[] b = LabelSampler.sample(p, 2, 64, LabelSampler.forStep(7, 12));
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, LabelSampler.sample(p, 2, 64, LabelSampler.forStep(7, 13))), "step 13 repeats 12");
        assertFalse(Arrays.equals(a, LabelSampler.sample(p, 2, 64, LabelSampler.forStep(8, 12))), "seed 8 repeats 7");
    }

    /** Each row's class counts stay within 5 standard deviations of the binomial mean (and a wrong p fails it). */
    @Test
    void frequenciesFollowTheSoftmax() {
        double[] logits = {0.0, 0.0, 2.0, -1.0, -2.5, 0.5, 0.3, 0.0, 1.0, 2.0, 3.0};
        // Four 2-class rows, then one 3-class row.
        double[] two = Arrays.copyOf(logits, 8);
        double[] p = LabelSampler.softmax(two, 2);
        int n = 200_000;
        int[] s = LabelSampler.sample(p, 2, n, LabelSampler.forStep(3, 0));
        for (int row = 0; row < 4; row++) {
            long ones = 0;
            for (int k = 0; k < n; k++) {
                ones += s[row * n + k];
            }
            double mean = n * p[row * 2 + 1], sd = Math.sqrt(n * p[row * 2 + 1] * (1 - p[row * 2 + 1]));
            assertTrue(Math.abs(ones - mean) < 5 * sd, "row " + row + ": " + ones + " ones, expected " + mean);
        }
        double[] three = LabelSampler.softmax(Arrays.copyOfRange(logits, 8, 11), 3);
        int[] t = LabelSampler.sample(three, 3, n, LabelSampler.forStep(3, 1));
        for (int j = 0; j < 3; j++) {
            int cls = j;
            long count = Arrays.stream(t).filter(v -> v == cls).count();
            double mean = n * three[j], sd = Math.sqrt(n * three[j] * (1 - three[j]));
            assertTrue(Math.abs(count - mean) < 5 * sd, "class " + j + ": " + count + ", expected " + mean);
        }
    }
}
