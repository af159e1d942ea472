package org.sdd4j.metrics;

import java.util.Arrays;

/**
 * Scores of a speaker-verification-side system split by the ASV key: target (bona fide, the claimed
 * speaker), nontarget (bona fide, another speaker) and spoof. Used for ASV scores (t-DCF, t-EER), for
 * CM scores grouped by the ASV key (t-EER) and for single SASV scores (a-DCF).
 */
public record AsvScoreSet(double[] target, double[] nontarget, double[] spoof) {
    /** Copies the arrays; every class must have trials and every score must be finite. */
    public AsvScoreSet {
        target = ScoreSet.checked(target, "target");
        nontarget = ScoreSet.checked(nontarget, "nontarget");
        spoof = ScoreSet.checked(spoof, "spoof");
    }

    @Override
    public double[] target() {
        return target.clone();
    }

    @Override
    public double[] nontarget() {
        return nontarget.clone();
    }

    @Override
    public double[] spoof() {
        return spoof.clone();
    }

    double[] targetScores() {
        return target;
    }

    double[] nontargetScores() {
        return nontarget;
    }

    double[] spoofScores() {
        return spoof;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AsvScoreSet s && Arrays.equals(target, s.target) && Arrays.equals(nontarget, s.nontarget)
                && Arrays.equals(spoof, s.spoof);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(target) * 961 + Arrays.hashCode(nontarget) * 31 + Arrays.hashCode(spoof);
    }

    @Override
    public String toString() {
        return "AsvScoreSet[" + target.length + " target, " + nontarget.length + " nontarget, " + spoof.length + " spoof]";
    }
}
