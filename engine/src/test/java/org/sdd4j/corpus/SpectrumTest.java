package org.sdd4j.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SpectrumTest {
    @Test
    void aFlatUnitGainReturnsTheInput() {
        float[] x = ConditioningTest.noise(5000, 0.3, 1);
        double[] one = new double[Spectrum.BINS];
        Arrays.fill(one, 1);
        float[] y = Spectrum.filter(x, one);
        assertEquals(x.length, y.length);
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], y[i], 1e-5, "sample " + i);
        }
    }

    @Test
    void aGainOfZeroAboveACutoffRemovesThatBand() {
        float[] low = ConditioningTest.tone(8000, 500, 0.3);
        float[] high = ConditioningTest.tone(8000, 5000, 0.3);
        double[] gain = new double[Spectrum.BINS];
        for (int k = 0; k < gain.length; k++) {
            gain[k] = k * 16000.0 / Spectrum.SIZE < 2000 ? 1 : 0;
        }
        // away from the ends, where the tones' abrupt onsets are broadband clicks
        assertEquals(rmsDb(low), rmsDb(Spectrum.filter(low, gain)), 0.2);
        assertTrue(rmsDb(Spectrum.filter(high, gain)) < rmsDb(high) - 40, "5 kHz left at " + rmsDb(Spectrum.filter(high, gain)));
        assertThrows(IllegalArgumentException.class, () -> Spectrum.filter(low, new double[10]));
    }

    private static double rmsDb(float[] x) {
        double sum = 0;
        for (int i = 1000; i < x.length - 1000; i++) {
            sum += x[i] * x[i];
        }
        return 10 * Math.log10(sum / (x.length - 2000));
    }
}
