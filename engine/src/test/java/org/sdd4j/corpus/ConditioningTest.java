package org.sdd4j.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

    /** {@code n} samples of Gaussian noise with standard deviation {@code sigma}, from a seeded stream. */
    static float[] noise(int n, double sigma, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (sigma * rng.nextGaussian());
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
    @Test
    void padPutsTheRequestedSilenceOnEachSide() {
        float[] x = tone(1000, 300, 0.3);
        float[] y = Conditioning.pad(x, 480, 1600);
        assertEquals(480 + 1000 + 1600, y.length);
        for (int i = 0; i < 480; i++) {
            assertEquals(0f, y[i]);
        }
        for (int i = 0; i < 1000; i++) {
            assertEquals(x[i], y[480 + i]);
        }
        assertEquals(0f, y[y.length - 1]);
        assertThrows(IllegalArgumentException.class, () -> Conditioning.pad(x, -1, 0));
    }

    @Test
    void trimThenPadGivesTheDrawnSilenceWhateverTheSourceLeft() {
        // an "engine" clip speaking from the first sample with a long tail, and a "prompt" cut tight
        float[] engine = new float[8000 + 12000];
        System.arraycopy(tone(8000, 300, 0.3), 0, engine, 0, 8000);
        float[] prompt = tone(8000, 300, 0.3);
        for (float[] x : new float[][] {engine, prompt}) {
            float[] y = Conditioning.pad(Conditioning.trimSilence(x, 0), 1600, 3200);
            double[] f = ShortcutFeatures.of(y, 16000);
            assertEquals(1600.0 / y.length, f[2], 320.0 / y.length, "lead share");
            assertEquals(3200.0 / y.length, f[3], 320.0 / y.length, "trail share");
        }
    }

    @Test
    void cutAtPauseEndsInTheGapNearTheTarget() {
        // two 0.6 s "words" with a 0.1 s gap from 0.6 to 0.7 s, then a third word up to 1.6 s
        float[] x = tone(25600, 300, 0.3);
        for (int i = 9600; i < 11200; i++) {
            x[i] = 0;
        }
        float[] y = Conditioning.cutAtPause(x, 10000);
        assertTrue(y.length >= 9600 && y.length <= 11200, "cut at " + y.length + ", not in the gap");
        assertEquals(x.length, Conditioning.cutAtPause(x, 25000).length, "within 15 % of the target: kept whole");
        assertThrows(IllegalArgumentException.class, () -> Conditioning.cutAtPause(x, 0));
    }

    /** Level (dB) of a tone of {@code hz} after {@link Conditioning#equalise} of a two-tone mix, relative to the 1 kHz tone. */
    private static double[] bandLevels(float[] y) {
        double[] p = Spectrum.averagePower(y);
        int k1 = Math.round(1000f / 16000 * Spectrum.SIZE);
        int k4 = Math.round(4000f / 16000 * Spectrum.SIZE);
        return new double[] {10 * Math.log10(p[k1]), 10 * Math.log10(p[k4])};
    }

    @Test
    void equaliseImposesTheDrawnTiltWhateverTheInputBalance() {
        // white noise: flat spectrum; after equalisation 4 kHz must sit 2 octaves x tilt below 1 kHz
        float[] flat = noise(32000, 0.05, 5);
        // a "dark" version of the same noise: 16 dB down at 4 kHz already
        float[] dark = Conditioning.bandLimit(flat, 16000, 2500, 0);
        for (float[] x : new float[][] {flat, dark}) {
            double[] lv = bandLevels(Conditioning.equalise(x, 16000, 6, 20));
            // reference: 6 dB/oct above 500 Hz, so 1 kHz is at -6 dB and 4 kHz at -18 dB
            assertEquals(-12, lv[1] - lv[0], 2.5, "4 kHz relative to 1 kHz");
        }
    }

    @Test
    void equaliseLimitsTheGainAndKeepsTheLength() {
        float[] x = tone(16000, 1000, 0.3);
        float[] y = Conditioning.equalise(x, 16000, 6, 12);
        assertEquals(x.length, y.length);
        // a pure tone is in the anchor band: it keeps its level within the +-12 dB limit
        assertTrue(Math.abs(Conditioning.activeRmsDb(y) - Conditioning.activeRmsDb(x)) <= 12.5,
                Conditioning.activeRmsDb(x) + " -> " + Conditioning.activeRmsDb(y));
    }
}
