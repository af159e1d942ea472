package org.sdd4j.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CurvePlotTest {
    @Test
    void stepsGetWholeNumberTicks() {
        double[] t = Plots.niceTicks(1, 100);
        assertArrayEquals(new double[] {0, 20, 40, 60, 80, 100}, t, 1e-12);
        assertEquals("40", Plots.tickLabel(t[2], t));
    }

    @Test
    void fractionsGetTheDecimalsTheirStepNeeds() {
        double[] t = Plots.niceTicks(0.492, 1.0);
        assertArrayEquals(new String[] {"0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1.0"},
                Arrays.stream(t).mapToObj(v -> Plots.tickLabel(v, t)).toArray(String[]::new));
    }

    @Test
    void ticksCoverTheRangeWithAFewTicks() {
        double[][] ranges = {{-3.7, 12.2}, {1e-4, 3e-3}, {5, 5}, {0, 0}, {-0.02, 0.4}, {17, 1_000_000}};
        for (double[] r : ranges) {
            double[] t = Plots.niceTicks(r[0], r[1]);
            assertTrue(t[0] <= r[0] && t[t.length - 1] >= r[1], Arrays.toString(r) + " -> " + Arrays.toString(t));
            assertTrue(t.length >= 3 && t.length <= 8, Arrays.toString(r) + " -> " + Arrays.toString(t));
        }
    }

    @Test
    void noisyCurvesGetATrailingMean() {
        assertEquals(1, Plots.smoothingWindow(29));
        assertEquals(5, Plots.smoothingWindow(100));
        assertEquals(50, Plots.smoothingWindow(1000));
        assertArrayEquals(new double[] {1, 1.5, 2, 3, 4}, Plots.trailingMean(new double[] {1, 2, 3, 4, 5}, 3), 1e-12);
    }
}
