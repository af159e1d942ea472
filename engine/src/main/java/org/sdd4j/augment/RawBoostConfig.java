package org.sdd4j.augment;

/**
 * RawBoost's parameters, named as in the reference's command line (main_SSL_LA.py).
 *
 * @param nBands           notch filters cascaded per generated filter
 * @param minF             lowest centre frequency of a notch, Hz
 * @param maxF             highest centre frequency of a notch, Hz
 * @param minBW            narrowest notch, Hz
 * @param maxBW            widest notch, Hz
 * @param minCoeff         fewest filter taps (made odd by adding one)
 * @param maxCoeff         most filter taps, exclusive before the odd adjustment
 * @param minG             lowest filter gain, dB
 * @param maxG             highest filter gain, dB
 * @param minBiasLinNonLin gain subtracted from minG for the non-linear orders (2..N_f) of LnL, dB
 * @param maxBiasLinNonLin gain subtracted from maxG for the non-linear orders of LnL, dB
 * @param nF               orders of the LnL polynomial (N_f)
 * @param p                most impulsive-noise samples, percent of the utterance (P)
 * @param gSd              impulsive-noise gain (g_sd)
 * @param snrMin           lowest SNR of the coloured additive noise, dB
 * @param snrMax           highest SNR of the coloured additive noise, dB
 */
public record RawBoostConfig(
        int nBands, double minF, double maxF, double minBW, double maxBW, int minCoeff, int maxCoeff,
        double minG, double maxG, double minBiasLinNonLin, double maxBiasLinNonLin, int nF,
        double p, double gSd, double snrMin, double snrMax) {

    public RawBoostConfig {
        if (nBands < 1 || nF < 1) {
            throw new IllegalArgumentException("nBands and nF must be at least 1, were " + nBands + " and " + nF);
        }
        if (minCoeff < 1 || maxCoeff < minCoeff) {
            throw new IllegalArgumentException("need 1 <= minCoeff <= maxCoeff, were " + minCoeff + ", " + maxCoeff);
        }
        if (!(minF > 0 && minF <= maxF && minBW > 0 && minBW <= maxBW)) {
            throw new IllegalArgumentException("need 0 < minF <= maxF and 0 < minBW <= maxBW, were " + minF + ", "
                    + maxF + ", " + minBW + ", " + maxBW);
        }
        if (!(p >= 0 && p <= 100)) {
            throw new IllegalArgumentException("P is a percentage in [0, 100], was " + p);
        }
        if (!(snrMin <= snrMax)) {
            throw new IllegalArgumentException("need snrMin <= snrMax, were " + snrMin + ", " + snrMax);
        }
    }

    /** The reference defaults (main_SSL_LA.py / main_SSL_DF.py). */
    public static RawBoostConfig defaults() {
        return new RawBoostConfig(5, 20, 8000, 100, 1000, 10, 100, 0, 0, 5, 20, 5, 10, 2, 10, 40);
    }
}
