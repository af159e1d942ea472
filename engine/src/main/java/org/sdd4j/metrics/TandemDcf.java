package org.sdd4j.metrics;

/**
 * Minimum normalised tandem detection cost (t-DCF) of a countermeasure placed before a fixed ASV
 * system, over the CM's DET thresholds.
 *
 * @param value the minimum normalised t-DCF
 * @param threshold the CM threshold where it is reached
 */
public record TandemDcf(double value, double threshold) {
    /** Which published formulation to use. */
    public enum Model {
        /** ASVspoof 2019 ({@code compute_tDCF_legacy}): C1 Pmiss_cm + C2 Pfa_cm, normalised by min(C1, C2). */
        ASVSPOOF2019,
        /**
         * ASVspoof 2021 and 5 ({@code compute_tDCF}): C0 + C1 Pmiss_cm + C2 Pfa_cm, normalised by
         * C0 + min(C1, C2); 1 means the CM is no better than none.
         */
        ASVSPOOF2021
    }

    /**
     * The minimum t-DCF. Like the official code this refuses hard decisions (fewer than three distinct
     * scores) and cost weights that come out negative.
     */
    public static TandemDcf minimum(ScoreSet cm, AsvErrorRates asv, TandemCosts costs, Model model) {
        if (cm.distinctScores() < 3) {
            throw new IllegalArgumentException("t-DCF needs soft CM scores, not binary decisions (fewer than 3 distinct scores)");
        }
        double c0;
        double c1;
        double c2;
        double normaliser;
        if (model == Model.ASVSPOOF2019) {
            c0 = 0;
            c1 = costs.targetPrior() * (costs.cmMissCost() - costs.asvMissCost() * asv.missTarget())
                    - costs.nontargetPrior() * costs.asvFalseAlarmCost() * asv.falseAlarmNontarget();
            c2 = costs.cmFalseAlarmCost() * costs.spoofPrior() * (1 - asv.missSpoof());
            normaliser = Math.min(c1, c2);
        } else {
            c0 = costs.targetPrior() * costs.missCost() * asv.missTarget()
                    + costs.nontargetPrior() * costs.falseAlarmCost() * asv.falseAlarmNontarget();
            c1 = costs.targetPrior() * costs.missCost() - c0;
            c2 = costs.spoofPrior() * costs.spoofFalseAlarmCost() * asv.falseAlarmSpoof();
            normaliser = c0 + Math.min(c1, c2);
        }
        if (c0 < 0 || c1 < 0 || c2 < 0) {
            throw new IllegalArgumentException("t-DCF weights came out negative (C0 " + c0 + ", C1 " + c1 + ", C2 " + c2
                    + "); check the ASV error rates");
        }
        DetCurve curve = DetCurve.of(cm);
        double best = Double.POSITIVE_INFINITY;
        int bestIndex = 0;
        for (int i = 0; i < curve.size(); i++) {
            double v = (c0 + c1 * curve.missRate(i) + c2 * curve.falseAlarmRate(i)) / normaliser;
            if (v < best) {
                best = v;
                bestIndex = i;
            }
        }
        return new TandemDcf(best, curve.threshold(bestIndex));
    }
}
