package org.sdd4j.metrics;

import java.util.Arrays;

/**
 * Countermeasure scores split by class. Higher scores mean more likely bona fide (the ASVspoof
 * convention); every metric in this package reads them that way.
 *
 * @param bonafide scores of bona fide trials
 * @param spoof scores of spoofed trials
 */
public record ScoreSet(double[] bonafide, double[] spoof) {
    /** Copies the arrays and rejects empty classes and non-finite scores, which no metric here defines. */
    public ScoreSet {
        bonafide = checked(bonafide, "bona fide");
        spoof = checked(spoof, "spoof");
    }

    static double[] checked(double[] scores, String what) {
        if (scores.length == 0) {
            throw new IllegalArgumentException("no " + what + " scores");
        }
        for (double s : scores) {
            if (!Double.isFinite(s)) {
                throw new IllegalArgumentException("a " + what + " score is " + s + "; scores must be finite");
            }
        }
        return scores.clone();
    }

    @Override
    public double[] bonafide() {
        return bonafide.clone();
    }

    @Override
    public double[] spoof() {
        return spoof.clone();
    }

    /** Trials in the set. */
    public int size() {
        return bonafide.length + spoof.length;
    }

    /** Distinct score values over both classes. */
    int distinctScores() {
        double[] all = new double[size()];
        System.arraycopy(bonafide, 0, all, 0, bonafide.length);
        System.arraycopy(spoof, 0, all, bonafide.length, spoof.length);
        Arrays.sort(all);
        int n = 0;
        for (int i = 0; i < all.length; i++) {
            if (i == 0 || all[i] != all[i - 1]) {
                n++;
            }
        }
        return n;
    }

    /** Direct access for the metrics of this package, which never modify the arrays. */
    double[] bonafideScores() {
        return bonafide;
    }

    double[] spoofScores() {
        return spoof;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScoreSet s && Arrays.equals(bonafide, s.bonafide) && Arrays.equals(spoof, s.spoof);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(bonafide) + Arrays.hashCode(spoof);
    }

    @Override
    public String toString() {
        return "ScoreSet[" + bonafide.length + " bona fide, " + spoof.length + " spoof]";
    }
}
