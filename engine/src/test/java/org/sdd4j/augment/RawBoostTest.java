package org.sdd4j.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RawBoostTest {
    private static final int FS = 16_000;
    private static final RawBoost RB = RawBoost.defaults();

    /** A speech-like test signal: a few tones plus noise, peak well under 1/3 so ISD never clips. */
    private static float[] signal(int n, long seed, double amplitude) {
        var rng = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double t = i / (double) FS;
            double v = 0.5 * Math.sin(2 * Math.PI * 220 * t) + 0.3 * Math.sin(2 * Math.PI * 1250 * t + 1)
                    + 0.2 * (2 * rng.nextDouble() - 1);
            x[i] = (float) (amplitude * v);
        }
        return x;
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    private static double energy(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return s;
    }

    @Test
    void defaultsAreTheReferenceArguments() {
        assertEquals(new RawBoostConfig(5, 20, 8000, 100, 1000, 10, 100, 0, 0, 5, 20, 5, 10, 2, 10, 40),
                RawBoostConfig.defaults());
        assertEquals(RawBoostAlgorithm.LNL_ISD, RawBoostAlgorithm.of(5));
        assertThrows(IllegalArgumentException.class, () -> RawBoostAlgorithm.of(9));
    }

    @Test
    void noneIsIdentity() {
        float[] x = signal(4000, 1, 0.3);
        assertArrayEquals(x, RB.apply(RawBoostAlgorithm.NONE, x, new SplittableRandom(7)));
    }

    @ParameterizedTest
    @EnumSource(value = RawBoostAlgorithm.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void sameSeedReproducesAndOtherSeedsDiffer(RawBoostAlgorithm algo) {
        float[] x = signal(4000, 2, 0.3);
        float[] a = RB.apply(algo, x, new SplittableRandom(42));
        float[] b = RB.apply(algo, x, new SplittableRandom(42));
        float[] c = RB.apply(algo, x, new SplittableRandom(43));
        assertArrayEquals(a, b, algo + " with the same seed");
        assertFalse(Arrays.equals(a, c), algo + " with another seed");
        assertFalse(Arrays.equals(a, x), algo + " changes the waveform");
        assertEquals(x.length, a.length);
        for (float v : a) {
            assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void seriesCombinationsApplyTheStepsInTheReferenceOrder() {
        float[] x = signal(3000, 3, 0.3);
        double[] d = toDouble(x);
        var r1 = new SplittableRandom(5);
        double[] expected = RB.stationarySignalIndependent(RB.impulsiveSignalDependent(RB.linearNonLinearConvolutive(d, r1), r1), r1);
        float[] got = RB.apply(RawBoostAlgorithm.LNL_ISD_SSI, x, new SplittableRandom(5));
        for (int i = 0; i < x.length; i++) {
            assertEquals((float) expected[i], got[i]);
        }
        var r2 = new SplittableRandom(6);
        double[] lnl = RB.linearNonLinearConvolutive(d, r2);
        double[] isd = RB.impulsiveSignalDependent(d, r2);
        double[] sum = new double[x.length];
        for (int i = 0; i < sum.length; i++) {
            sum[i] = lnl[i] + isd[i];
        }
        double[] parallel = RawBoost.normWav(sum, false);
        float[] got8 = RB.apply(RawBoostAlgorithm.LNL_PLUS_ISD, x, new SplittableRandom(6));
        for (int i = 0; i < x.length; i++) {
            assertEquals((float) parallel[i], got8[i]);
        }
    }

    @Test
    void isdChangesAtMostPPercentByTheMultiplicativeRule() {
        double[] x = toDouble(signal(8000, 4, 0.3));
        double p = RB.config().p();
        double gSd = RB.config().gSd();
        double sumFraction = 0;
        double sumF = 0;
        double sumF2 = 0;
        long changedTotal = 0;
        int runs = 200;
        for (int run = 0; run < runs; run++) {
            double[] y = RB.impulsiveSignalDependent(x, new SplittableRandom(100 + run));
            int changed = 0;
            for (int i = 0; i < x.length; i++) {
                if (y[i] != x[i]) {
                    changed++;
                    double factor = (y[i] / x[i] - 1) / gSd; // (2u1 - 1)(2u2 - 1), in (-1, 1)
                    assertTrue(Math.abs(factor) < 1 + 1e-9, "factor " + factor);
                    sumF += factor;
                    sumF2 += factor * factor;
                }
            }
            assertTrue(changed <= x.length * p / 100, "changed " + changed + " of " + x.length);
            sumFraction += changed / (double) x.length;
            changedTotal += changed;
        }
        // beta ~ U(0, P): on average P/2 percent of the samples change.
        assertEquals(p / 200, sumFraction / runs, 0.01);
        // the product of two U(-1, 1): mean 0, variance 1/9
        assertEquals(0, sumF / changedTotal, 0.01);
        assertEquals(1.0 / 9, sumF2 / changedTotal, 0.01);
    }

    @Test
    void isdNormalisesOnlyWhenThePeakExceedsOne() {
        double[] loud = toDouble(signal(8000, 5, 0.9));
        boolean sawNormalised = false;
        for (int run = 0; run < 20; run++) {
            double[] y = RB.impulsiveSignalDependent(loud, new SplittableRandom(run));
            double peak = Arrays.stream(y).map(Math::abs).max().orElseThrow();
            assertTrue(peak <= 1 + 1e-12);
            sawNormalised |= Math.abs(peak - 1) < 1e-12;
        }
        assertTrue(sawNormalised, "a gain up to 3 on a 0.9 peak must trigger normWav");
    }

    @Test
    void ssiAddsNoiseAtAnSnrBetween10And40Db() {
        double[] x = toDouble(signal(8000, 6, 0.3));
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (int run = 0; run < 100; run++) {
            double[] y = RB.stationarySignalIndependent(x, new SplittableRandom(run));
            double[] noise = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                noise[i] = y[i] - x[i];
            }
            double snr = 10 * Math.log10(energy(x) / energy(noise));
            assertTrue(snr >= 10 - 1e-9 && snr <= 40 + 1e-9, "SNR " + snr);
            min = Math.min(min, snr);
            max = Math.max(max, snr);
        }
        assertTrue(min < 15 && max > 35, "SNR spans U(10, 40): saw " + min + " .. " + max);
    }

    @Test
    void ssiNoiseIsColouredByTheNotches() {
        // The noise passes notches: its spectrum must not be flat. Compare the energy of the noise in
        // 32 equal bands; white noise of this length would vary by a few percent only.
        double[] x = new double[16000];
        Arrays.fill(x, 0.1);
        double[] y = RB.stationarySignalIndependent(x, new SplittableRandom(9));
        double[] noise = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            noise[i] = y[i] - x[i];
        }
        double[] bands = bandEnergies(noise, 32);
        double lo = Arrays.stream(bands).min().orElseThrow();
        double hi = Arrays.stream(bands).max().orElseThrow();
        assertTrue(lo < 0.2 * hi, "band energies " + Arrays.toString(bands));
    }

    @Test
    void lnlIsALinearFilterWhenOnlyTheFirstOrderIsUsed() {
        var linear = new RawBoost(new RawBoostConfig(5, 20, 8000, 100, 1000, 10, 100, 0, 0, 5, 20, 1, 10, 2, 10, 40), FS);
        double[] x = toDouble(signal(4000, 7, 0.3));
        double[] half = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            half[i] = 0.5 * x[i];
        }
        double[] y = linear.linearNonLinearConvolutive(x, new SplittableRandom(11));
        double[] yHalf = linear.linearNonLinearConvolutive(half, new SplittableRandom(11));
        for (int i = 0; i < x.length; i++) {
            assertEquals(0.5 * y[i], yHalf[i], 1e-12);
        }
        // and peak-normalised unit-gain notches never add energy
        assertTrue(energy(y) <= 1.02 * energy(x), energy(y) + " vs " + energy(x));
        // With the default five orders the squares, cubes, ... make it non-linear.
        double[] z = RB.linearNonLinearConvolutive(x, new SplittableRandom(11));
        double[] zHalf = RB.linearNonLinearConvolutive(half, new SplittableRandom(11));
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            worst = Math.max(worst, Math.abs(0.5 * z[i] - zHalf[i]));
        }
        assertTrue(worst > 1e-6, "the higher orders must contribute, worst deviation " + worst);
    }

    @Test
    void lnlOutputHasZeroMeanAndPeakAtMostOne() {
        double[] x = toDouble(signal(4000, 8, 0.99));
        for (int run = 0; run < 5; run++) {
            double[] y = RB.linearNonLinearConvolutive(x, new SplittableRandom(run));
            double mean = Arrays.stream(y).sum() / y.length;
            double peak = Arrays.stream(y).map(Math::abs).max().orElseThrow();
            assertTrue(peak <= 1 + 1e-12);
            assertEquals(0, mean, 1e-9 + (peak < 1 ? 0 : 1e-9));
        }
    }

    @Test
    void lnlRemovesEnergyInsideTheNotches() {
        // White noise through LnL: the notch bands leave deep valleys in its spectrum.
        var rng = new SplittableRandom(12);
        double[] x = new double[16000];
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.05 * rng.nextGaussian();
        }
        double[] y = RB.linearNonLinearConvolutive(x, new SplittableRandom(13));
        double[] bands = bandEnergies(y, 32);
        double lo = Arrays.stream(bands).min().orElseThrow();
        double hi = Arrays.stream(bands).max().orElseThrow();
        assertTrue(lo < 0.2 * hi, "band energies " + Arrays.toString(bands));
        assertTrue(energy(y) < energy(x), "notches remove energy");
    }

    @Test
    void notchFiltersHaveOddLengthsAndTheDrawnPeakGain() {
        var rng = new SplittableRandom(14);
        for (int run = 0; run < 10; run++) {
            double[] b = RB.notchCoefficients(0, 0, rng);
            // five odd lengths in [11, 99] convolved: total length sum(c) - 4, each c odd
            assertTrue(b.length >= 5 * 11 - 4 && b.length <= 5 * 99 - 4, "length " + b.length);
            assertEquals(1, b.length % 2, "sum of five odd lengths minus four is odd");
            assertEquals(1.0, FirDesign.maxMagnitude(b), 1e-12);
            double[] quiet = RB.notchCoefficients(-20, -5, rng);
            double peakDb = 20 * Math.log10(FirDesign.maxMagnitude(quiet));
            assertTrue(peakDb >= -20 - 1e-9 && peakDb <= -5 + 1e-9, "gain " + peakDb);
        }
    }

    @Test
    void normWavMatchesTheReference() {
        double[] x = {0.5, -2.0, 1.0};
        assertArrayEquals(new double[] {0.25, -1.0, 0.5}, RawBoost.normWav(x, false));
        double[] small = {0.5, -0.25};
        assertArrayEquals(small, RawBoost.normWav(small, false));
        assertArrayEquals(new double[] {1.0, -0.5}, RawBoost.normWav(small, true));
        assertArrayEquals(new double[] {0, 0}, RawBoost.normWav(new double[] {0, 0}, true));
    }

    @Test
    void rejectsARateTooLowForTheNotchRange() {
        assertThrows(IllegalArgumentException.class, () -> new RawBoost(RawBoostConfig.defaults(), 8000));
        assertNotEquals(null, new RawBoost(RawBoostConfig.defaults(), 22050));
    }

    /** Energy in {@code count} equal frequency bands of [0, fs/2] (a plain DFT, coarse grid). */
    private static double[] bandEnergies(double[] x, int count) {
        int bins = 512;
        double[] bands = new double[count];
        for (int k = 0; k < bins; k++) {
            double w = Math.PI * (k + 0.5) / bins;
            double re = 0;
            double im = 0;
            for (int n = 0; n < x.length; n++) {
                re += x[n] * Math.cos(w * n);
                im -= x[n] * Math.sin(w * n);
            }
            bands[k * count / bins] += re * re + im * im;
        }
        return bands;
    }
}
