package org.sdd4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SamplerTest {
    /** 10 bona fide (indices 0..9) and 40 spoof (10..49). */
    static List<LabeledUtterance> dataset() {
        List<LabeledUtterance> u = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            u.add(new LabeledUtterance("u" + i, Path.of("u" + i + ".wav"), i < 10 ? 1 : 0, "-", "-"));
        }
        return u;
    }

    private static int[] flat(List<int[]> batches) {
        return batches.stream().flatMapToInt(Arrays::stream).toArray();
    }

    @Test
    void shuffledVisitsEveryUtteranceOnceAndIsSeeded() {
        Sampler s = Sampler.shuffled(dataset(), 8, 7, false);
        assertEquals(7, s.batchesPerEpoch());
        int[] order = flat(s.epoch(0));
        int[] sorted = order.clone();
        Arrays.sort(sorted);
        assertArrayEquals(java.util.stream.IntStream.range(0, 50).toArray(), sorted);
        assertArrayEquals(order, flat(Sampler.shuffled(dataset(), 8, 7, false).epoch(0)), "same seed, same order");
        assertFalse(Arrays.equals(order, flat(s.epoch(1))), "epochs differ");
        assertFalse(Arrays.equals(order, flat(Sampler.shuffled(dataset(), 8, 8, false).epoch(0))), "seeds differ");
        assertEquals(6, Sampler.shuffled(dataset(), 8, 7, true).epoch(0).size(), "drop_last");
    }

    @Test
    void balancedBatchesHaveHalfOfEachClass() {
        var data = dataset();
        Sampler s = Sampler.balanced(data, 6, 3);
        assertEquals(8, s.batchesPerEpoch());
        for (int[] batch : s.epoch(2)) {
            long bona = Arrays.stream(batch).filter(i -> data.get(i).isBonaFide()).count();
            assertEquals(3, bona, Arrays.toString(batch));
        }
        // the 24 bona fide draws cycle through all 10 bona fide utterances (reshuffled when exhausted)
        long distinct = Arrays.stream(flat(s.epoch(2))).filter(i -> i < 10).distinct().count();
        assertEquals(10, distinct);
        assertArrayEquals(flat(s.epoch(2)), flat(Sampler.balanced(data, 6, 3).epoch(2)));
        assertThrows(IllegalArgumentException.class, () -> Sampler.balanced(data, 5, 3));
        assertThrows(IllegalArgumentException.class, () -> Sampler.balanced(data.subList(10, 50), 4, 3));
    }

    @Test
    void classWeightedDrawsFollowTheWeights() {
        var data = dataset();
        // inverse-frequency weights: equal mass per class
        Sampler s = Sampler.classWeighted(data, 10, 5, 1.0 / 10, 1.0 / 40);
        int bona = 0;
        int total = 0;
        for (int e = 0; e < 40; e++) {
            for (int i : flat(s.epoch(e))) {
                bona += data.get(i).isBonaFide() ? 1 : 0;
                total++;
            }
        }
        assertEquals(0.5, bona / (double) total, 0.03);
        Sampler onlySpoof = Sampler.classWeighted(data, 10, 5, 0, 1);
        assertTrue(Arrays.stream(flat(onlySpoof.epoch(0))).allMatch(i -> i >= 10));
    }
}
