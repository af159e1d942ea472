package org.sdd4j.metrics;

/**
 * Error rates of a fixed ASV system, the input of the t-DCF.
 *
 * @param falseAlarmNontarget fraction of nontarget trials accepted
 * @param missTarget fraction of target trials rejected
 * @param missSpoof fraction of spoofed trials rejected
 * @param falseAlarmSpoof fraction of spoofed trials accepted
 * @param threshold the ASV threshold (NaN when the rates were given rather than measured)
 */
public record AsvErrorRates(double falseAlarmNontarget, double missTarget, double missSpoof, double falseAlarmSpoof,
        double threshold) {
    /**
     * The pooled rates of the organisers' ASV system that the official ASVspoof 5 Track 2 evaluation uses
     * for min t-DCF (constants in its {@code calculate_metrics.py}).
     */
    public static final AsvErrorRates ASVSPOOF5_ORGANISERS =
            new AsvErrorRates(0.01881016557566423, 0.01880141010575793, 1 - 0.4607082907604729, 0.4607082907604729, Double.NaN);

    /**
     * The rates at the ASV system's own EER threshold (target against nontarget), as the ASVspoof 2019
     * and 2021 packages measure them ({@code obtain_asv_error_rates}): a score at the threshold is accepted.
     */
    public static AsvErrorRates atEerThreshold(AsvScoreSet asv) {
        double t = Eer.of(DetCurve.of(asv.targetScores(), asv.nontargetScores())).threshold();
        double[] spoof = asv.spoofScores();
        return new AsvErrorRates(
                countAtLeast(asv.nontargetScores(), t) / (double) asv.nontargetScores().length,
                countBelow(asv.targetScores(), t) / (double) asv.targetScores().length,
                countBelow(spoof, t) / (double) spoof.length,
                countAtLeast(spoof, t) / (double) spoof.length,
                t);
    }

    private static int countAtLeast(double[] scores, double t) {
        int n = 0;
        for (double s : scores) {
            if (s >= t) {
                n++;
            }
        }
        return n;
    }

    private static int countBelow(double[] scores, double t) {
        return scores.length - countAtLeast(scores, t);
    }
}
