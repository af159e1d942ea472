package org.sdd4j.metrics;

/**
 * Concurrent tandem equal error rate (t-EER; Kinnunen et al., IEEE TPAMI 2023), ASVspoof 5 Track 2:
 * the error rate at the pair of CM and ASV thresholds where the tandem system's miss rate equals its
 * false alarm rate for every spoof prevalence at once. Computed as the official
 * {@code compute_teer_accelerated}, including its coarse-then-fine search on sets of 3000 or more
 * trials, so it returns the same operating point.
 *
 * @param rate the t-EER as a fraction
 * @param asvThreshold the ASV threshold of the operating point
 * @param cmThreshold the CM threshold of the operating point
 */
public record TandemEer(double rate, double asvThreshold, double cmThreshold) {
    private static final int DECIMATED_SIZE = 3000;
    private static final int FINE_HALF_WIDTH = 1600;
    /** Any prevalence gives the concurrent point; the official code uses 0.5. */
    private static final double RHO = 0.5;

    /**
     * The t-EER of trials given by their ASV scores and CM scores, both split by the ASV key (target,
     * nontarget, spoof), with each CM class in the same trials as the ASV class.
     */
    public static TandemEer of(AsvScoreSet asv, AsvScoreSet cm) {
        Curves a = asvCurves(asv);
        double[] cmBona = new double[cm.targetScores().length + cm.nontargetScores().length];
        System.arraycopy(cm.targetScores(), 0, cmBona, 0, cm.targetScores().length);
        System.arraycopy(cm.nontargetScores(), 0, cmBona, cm.targetScores().length, cm.nontargetScores().length);
        DetCurve c = DetCurve.of(cmBona, cm.spoofScores());

        int nAsv = a.thresholds.length;
        int nCm = c.size();
        int asvStride = nAsv / DECIMATED_SIZE;
        int cmStride = nCm / DECIMATED_SIZE;
        Point p;
        if (asvStride > 0 && cmStride > 0) {
            Point coarse = search(a, c, range(0, nAsv, asvStride), range(0, nCm, cmStride));
            int asvCentre = coarse.asvIndex;
            int cmCentre = coarse.cmIndex;
            p = search(a, c,
                    range(Math.max(asvCentre - FINE_HALF_WIDTH, 0), Math.min(asvCentre + FINE_HALF_WIDTH, nAsv), 1),
                    range(Math.max(cmCentre - FINE_HALF_WIDTH, 0), Math.min(cmCentre + FINE_HALF_WIDTH, nCm), 1));
        } else {
            p = search(a, c, range(0, nAsv, 1), range(0, nCm, 1));
        }
        return new TandemEer(p.rate, a.thresholds[p.asvIndex], c.threshold(p.cmIndex));
    }

    /** ASV miss, nontarget and spoof false-alarm curves ({@code compute_Pmiss_Pfa_Pspoof_curves}). */
    private record Curves(double[] miss, double[] faNontarget, double[] faSpoof, double[] thresholds) {
    }

    private static Curves asvCurves(AsvScoreSet asv) {
        double[] tar = asv.targetScores();
        double[] non = asv.nontargetScores();
        double[] spf = asv.spoofScores();
        int n = tar.length + non.length + spf.length;
        double[] all = new double[n];
        System.arraycopy(tar, 0, all, 0, tar.length);
        System.arraycopy(non, 0, all, tar.length, non.length);
        System.arraycopy(spf, 0, all, tar.length + non.length, spf.length);
        int[] order = StableSort.order(all);
        double[] miss = new double[n + 1];
        double[] faNon = new double[n + 1];
        double[] faSpf = new double[n + 1];
        double[] thr = new double[n + 1];
        faNon[0] = 1;
        faSpf[0] = 1;
        thr[0] = all[order[0]] - 0.001;
        int t = 0;
        int nn = 0;
        int s = 0;
        for (int k = 0; k < n; k++) {
            int i = order[k];
            if (i < tar.length) {
                t++;
            } else if (i < tar.length + non.length) {
                nn++;
            } else {
                s++;
            }
            // Written as the official code does (1 - count / n), which rounds differently from (n - count) / n.
            miss[k + 1] = t / (double) tar.length;
            faNon[k + 1] = 1 - nn / (double) non.length;
            faSpf[k + 1] = 1 - s / (double) spf.length;
            thr[k + 1] = all[i];
        }
        return new Curves(miss, faNon, faSpf, thr);
    }

    private record Point(double rate, int asvIndex, int cmIndex) {
    }

    private static int[] range(int from, int to, int step) {
        int[] r = new int[Math.max(0, (to - from + step - 1) / step)];
        for (int k = 0; k < r.length; k++) {
            r[k] = from + k * step;
        }
        return r;
    }

    /** {@code compute_teer} restricted to the given ASV and CM operating points. */
    private static Point search(Curves a, DetCurve c, int[] asvPoints, int[] cmPoints) {
        double[] cmMiss = c.missRates();
        double[] cmFa = c.falseAlarmRates();
        double bestCrit = Double.POSITIVE_INFINITY;
        Point best = null;
        for (int j : asvPoints) {
            double asvMiss = a.miss[j];
            double asvFaNon = a.faNontarget[j];
            double asvFaSpf = a.faSpoof[j];
            // For each ASV threshold, the CM threshold where tandem miss and false alarm rates meet.
            int meet = -1;
            double meetDiff = Double.POSITIVE_INFINITY;
            for (int i : cmPoints) {
                double tandemMiss = cmMiss[i] + (1 - cmMiss[i]) * asvMiss;
                double tandemFa = (1 - RHO) * (1 - cmMiss[i]) * asvFaNon + RHO * cmFa[i] * asvFaSpf;
                double diff = Math.abs(tandemMiss - tandemFa);
                if (meet < 0 || diff < meetDiff) {
                    meetDiff = diff;
                    meet = i;
                }
            }
            if (asvMiss < (1 - RHO) * asvFaNon + RHO * asvFaSpf) {
                // Closest to the point where the ASV's nontarget/spoof ratio equals the CM's.
                double lhs = asvFaNon / asvFaSpf;
                double rhs = cmFa[meet] / (1 - cmMiss[meet]);
                double crit = Math.abs(lhs - rhs);
                if (crit < bestCrit) {
                    bestCrit = crit;
                    best = new Point(asvFaSpf * cmFa[meet], j, meet);
                }
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("t-EER is undefined for these scores: no ASV threshold gives a tandem "
                    + "operating point (the ASV misses more targets than it accepts impostors everywhere)");
        }
        return best;
    }
}
