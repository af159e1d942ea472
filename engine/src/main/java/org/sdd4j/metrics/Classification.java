package org.sdd4j.metrics;

/**
 * Hard-decision metrics at one threshold, with bona fide as the positive class (as HIR-SDD reports
 * them): a trial whose score is at or above the threshold is called bona fide.
 *
 * <p>The threshold is the caller's choice. 0 suits scores that are logits or log-likelihood ratios;
 * the EER threshold ({@link Eer#threshold()}) suits scores of any scale but is chosen on the test
 * scores themselves, so it flatters the system.
 *
 * @param threshold the decision threshold
 * @param truePositives bona fide trials called bona fide
 * @param falsePositives spoofed trials called bona fide
 * @param trueNegatives spoofed trials called spoof
 * @param falseNegatives bona fide trials called spoof
 */
public record Classification(double threshold, int truePositives, int falsePositives, int trueNegatives,
        int falseNegatives) {
    /** Decisions on the scores at the threshold. */
    public static Classification at(ScoreSet scores, double threshold) {
        int tp = 0;
        for (double s : scores.bonafideScores()) {
            if (s >= threshold) {
                tp++;
            }
        }
        int tn = 0;
        for (double s : scores.spoofScores()) {
            if (s < threshold) {
                tn++;
            }
        }
        return new Classification(threshold, tp, scores.spoofScores().length - tn, tn, scores.bonafideScores().length - tp);
    }

    /** Fraction of all trials decided correctly. */
    public double accuracy() {
        return (truePositives + trueNegatives) / (double) (truePositives + falsePositives + trueNegatives + falseNegatives);
    }

    /** Mean of the bona fide and spoof recalls; unlike accuracy, not swayed by class imbalance. */
    public double balancedAccuracy() {
        return 0.5 * (recall() + trueNegatives / (double) (trueNegatives + falsePositives));
    }

    /** Fraction of bona fide decisions that are bona fide; 0 when nothing was called bona fide. */
    public double precision() {
        int called = truePositives + falsePositives;
        return called == 0 ? 0 : truePositives / (double) called;
    }

    /** Fraction of bona fide trials called bona fide. */
    public double recall() {
        return truePositives / (double) (truePositives + falseNegatives);
    }

    /** Harmonic mean of precision and recall, 2TP / (2TP + FP + FN); 0 when there are no positives at all. */
    public double f1() {
        int denominator = 2 * truePositives + falsePositives + falseNegatives;
        return denominator == 0 ? 0 : 2.0 * truePositives / denominator;
    }
}
