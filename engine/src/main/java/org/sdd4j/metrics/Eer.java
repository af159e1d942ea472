package org.sdd4j.metrics;

/**
 * Equal error rate as ASVspoof computes it ({@code compute_eer}): at the DET point where
 * |miss - false alarm| is smallest (the first such point), the mean of the two rates. No
 * interpolation, so small sets give the rates of a real threshold.
 *
 * @param rate the EER as a fraction
 * @param threshold the threshold of that point
 */
public record Eer(double rate, double threshold) {
    /** The EER of bona fide against spoof scores. */
    public static Eer of(ScoreSet scores) {
        return of(DetCurve.of(scores));
    }

    /** The EER of a DET curve. */
    public static Eer of(DetCurve curve) {
        int best = 0;
        double bestDiff = Double.POSITIVE_INFINITY;
        for (int i = 0; i < curve.size(); i++) {
            double diff = Math.abs(curve.missRate(i) - curve.falseAlarmRate(i));
            if (diff < bestDiff) {
                bestDiff = diff;
                best = i;
            }
        }
        return new Eer((curve.missRate(best) + curve.falseAlarmRate(best)) / 2, curve.threshold(best));
    }
}
