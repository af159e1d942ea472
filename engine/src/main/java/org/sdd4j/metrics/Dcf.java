package org.sdd4j.metrics;

/**
 * Normalised detection cost of the countermeasure alone (ASVspoof 5 Track 1): the cost at a threshold
 * divided by the cost of the better of the two trivial systems (accept all, reject all).
 *
 * @param value the normalised cost
 * @param threshold the threshold it was measured at
 */
public record Dcf(double value, double threshold) {
    /** minDCF: the lowest normalised cost over the DET curve's thresholds ({@code compute_mindcf}). */
    public static Dcf minimum(DetCurve curve, DcfCosts costs) {
        double pTarget = 1 - costs.spoofPrior();
        double best = Double.POSITIVE_INFINITY;
        double bestThreshold = Double.NaN;
        for (int i = 0; i < curve.size(); i++) {
            double cost = costs.missCost() * curve.missRate(i) * pTarget
                    + costs.falseAlarmCost() * curve.falseAlarmRate(i) * (1 - pTarget);
            if (cost < best) {
                best = cost;
                bestThreshold = curve.threshold(i);
            }
        }
        double trivial = Math.min(costs.missCost() * pTarget, costs.falseAlarmCost() * (1 - pTarget));
        return new Dcf(best / trivial, bestThreshold);
    }

    /** minDCF of bona fide against spoof scores. */
    public static Dcf minimum(ScoreSet scores, DcfCosts costs) {
        return minimum(DetCurve.of(scores), costs);
    }

    /**
     * actDCF: the normalised cost at the Bayes threshold {@link DcfCosts#bayesThreshold()}, which takes
     * the scores as calibrated log-likelihood ratios ({@code compute_actDCF}); a score equal to the
     * threshold is accepted.
     */
    public static Dcf actual(ScoreSet scores, DcfCosts costs) {
        double threshold = costs.bayesThreshold();
        double missRate = fractionBelow(scores.bonafideScores(), threshold);
        double falseAlarmRate = countAtLeast(scores.spoofScores(), threshold) / (double) scores.spoofScores().length;
        double cost = costs.missCost() * (1 - costs.spoofPrior()) * missRate
                + costs.falseAlarmCost() * costs.spoofPrior() * falseAlarmRate;
        double trivial = Math.min(costs.falseAlarmCost() * costs.spoofPrior(), costs.missCost() * (1 - costs.spoofPrior()));
        return new Dcf(cost / trivial, threshold);
    }

    private static double fractionBelow(double[] scores, double threshold) {
        return (scores.length - countAtLeast(scores, threshold)) / (double) scores.length;
    }

    private static int countAtLeast(double[] scores, double threshold) {
        int n = 0;
        for (double s : scores) {
            if (s >= threshold) {
                n++;
            }
        }
        return n;
    }
}
