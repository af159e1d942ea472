package org.sdd4j.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConditioningTest {
    static float[] tone(int n, double hz, double amp) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (amp * Math.sin(2 * Math.PI * hz * i / 16000));
        }
        return x;
    }

    @Test
    void trimKeepsSpeechPlusMarginAndCutsDigitalSilence() {
        float[] x = new float[16000 + 8000 + 16000];
        System.arraycopy(tone(8000, 300, 0.3), 0, x, 16000, 8000);
        float[] y = Conditioning.trimSilence(x, 800);
        assertEquals(8000 + 2 * 800, y.length, 2 * Conditioning.FRAME);
        float[] silent = new float[1000];
        assertEquals(1000, Conditioning.trimSilence(silent, 100).length);
    }

    @Test
    void loudnessReachesTargetOnActiveFramesAndNeverClips() {
        float[] x = new float[32000];
        System.arraycopy(tone(16000, 440, 0.01), 0, x, 0, 16000); // half the clip is silence
        float[] y = Conditioning.normaliseLoudness(x, -20);
        assertEquals(-20, Conditioning.activeRmsDb(y), 0.1);
        float[] loud = Conditioning.normaliseLoudness(tone(16000, 440, 0.01), 0);
        double peak = 0;
        for (float v : loud) {
            peak = Math.max(peak, Math.abs(v));
        }
        assertTrue(peak <= 0.99 + 1e-6, "peak " + peak);
    }

    @Test
    void bandLimitRemovesWhatIsAboveTheLowPassAndBelowTheHighPass() {
        float[] high = Conditioning.bandLimit(tone(16000, 6000, 0.5), 16000, 3400, 100);
        float[] mid = Conditioning.bandLimit(tone(16000, 1000, 0.5), 16000, 3400, 100);
        float[] low = Conditioning.bandLimit(tone(16000, 20, 0.5), 16000, 3400, 100);
        assertTrue(Conditioning.activeRmsDb(high) < Conditioning.activeRmsDb(mid) - 25);
        assertTrue(Conditioning.activeRmsDb(low) < Conditioning.activeRmsDb(mid) - 12);
        assertEquals(Conditioning.activeRmsDb(tone(16000, 1000, 0.5)), Conditioning.activeRmsDb(mid), 0.5);
    }

    @Test
    void noiseFloorHasTheRequestedLevel() {
        float[] y = Conditioning.addNoise(new float[16000], -60, new SplittableRandom(1));
        double sum = 0;
        for (float v : y) {
            sum += v * v;
        }
        assertEquals(-60, 10 * Math.log10(sum / y.length), 0.3);
    }
}
