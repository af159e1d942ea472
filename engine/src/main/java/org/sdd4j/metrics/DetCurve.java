package org.sdd4j.metrics;

/**
 * The detection error trade-off curve as the ASVspoof evaluation code computes it
 * ({@code compute_det_curve}): one operating point below every score and one at each sorted score,
 * ties broken by a stable sort with positive trials first. At point {@code i} the trials up to and
 * including the {@code i}-th sorted score are rejected.
 */
public final class DetCurve {
    private final double[] missRates;
    private final double[] falseAlarmRates;
    private final double[] thresholds;

    private DetCurve(double[] missRates, double[] falseAlarmRates, double[] thresholds) {
        this.missRates = missRates;
        this.falseAlarmRates = falseAlarmRates;
        this.thresholds = thresholds;
    }

    /** The curve of bona fide (positive) against spoof (negative) scores. */
    public static DetCurve of(ScoreSet scores) {
        return of(scores.bonafideScores(), scores.spoofScores());
    }

    /** The curve of positive against negative scores; neither may be empty. */
    public static DetCurve of(double[] positives, double[] negatives) {
        int n = positives.length + negatives.length;
        double[] all = new double[n];
        System.arraycopy(positives, 0, all, 0, positives.length);
        System.arraycopy(negatives, 0, all, positives.length, negatives.length);
        int[] order = StableSort.order(all);
        double[] miss = new double[n + 1];
        double[] fa = new double[n + 1];
        double[] thr = new double[n + 1];
        fa[0] = 1;
        // The first threshold sits 0.001 under the lowest score, as in the official code.
        thr[0] = all[order[0]] - 0.001;
        double positivesSoFar = 0;
        for (int i = 0; i < n; i++) {
            if (order[i] < positives.length) {
                positivesSoFar++;
            }
            double negativesAbove = negatives.length - ((i + 1) - positivesSoFar);
            miss[i + 1] = positivesSoFar / positives.length;
            fa[i + 1] = negativesAbove / negatives.length;
            thr[i + 1] = all[order[i]];
        }
        return new DetCurve(miss, fa, thr);
    }

    /** Operating points on the curve. */
    public int size() {
        return thresholds.length;
    }

    /** Miss rate (bona fide rejected) at point {@code i}. */
    public double missRate(int i) {
        return missRates[i];
    }

    /** False alarm rate (spoof accepted) at point {@code i}. */
    public double falseAlarmRate(int i) {
        return falseAlarmRates[i];
    }

    /** Threshold of point {@code i}. */
    public double threshold(int i) {
        return thresholds[i];
    }

    double[] missRates() {
        return missRates;
    }

    double[] falseAlarmRates() {
        return falseAlarmRates;
    }

    double[] thresholds() {
        return thresholds;
    }
}
