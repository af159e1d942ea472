package org.sdd4j.metrics;

/**
 * Log-likelihood-ratio cost in bits ({@code calculate_CLLR}): how well the scores work as calibrated
 * natural-log LLRs for bona fide against spoof. 0 is perfect; 1 is a system that always says "don't
 * know" (LLR 0).
 */
public final class Cllr {
    private Cllr() {
    }

    /** Cllr of the scores read as natural-log likelihood ratios. */
    public static double of(ScoreSet scores) {
        double bona = 0;
        for (double s : scores.bonafideScores()) {
            bona += negativeLogSigmoid(s);
        }
        double spoof = 0;
        for (double s : scores.spoofScores()) {
            spoof += negativeLogSigmoid(-s);
        }
        return 0.5 * (bona / scores.bonafideScores().length + spoof / scores.spoofScores().length) / Math.log(2);
    }

    /** -log(sigmoid(x)) as the official code writes it, log1p(exp(-x)); +inf where exp overflows, as there. */
    private static double negativeLogSigmoid(double x) {
        return Math.log1p(StrictMath.exp(-x));
    }
}
