package org.sdd4j.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SampleStatsTest {
    @Test
    void meanAndUnbiasedStdMatchNumpy() {
        double[] v = {1, 2, 3, 4, 10};
        assertEquals(4.0, SampleStats.mean(v), 0);
        // numpy.std([1, 2, 3, 4, 10], ddof=1)
        assertEquals(3.5355339059327378, SampleStats.std(v), 1e-15);
    }

    @Test
    void rangesSeeOnlyTheirValues() {
        double[] v = {100, 1, 3, -100};
        assertEquals(2.0, SampleStats.mean(v, 1, 3), 0);
        assertEquals(Math.sqrt(2), SampleStats.std(v, 1, 3, 2.0), 1e-15);
    }

    @Test
    void oneValueHasNoSpread() {
        assertTrue(Double.isNaN(SampleStats.std(new double[] {5})));
    }
}
