package org.sdd4j.metrics;

/**
 * a-DCF, the architecture-agnostic detection cost of a spoofing-aware speaker verification system that
 * gives one score per trial (ASVspoof 5 Track 2 primary metric; Shim et al., Odyssey 2024): the lowest
 * normalised cost over thresholds on the single SASV score, where accepting a nontarget and accepting a
 * spoof are priced separately.
 *
 * @param value the minimum normalised a-DCF
 * @param threshold the SASV threshold where it is reached
 */
public record ArchitectureDcf(double value, double threshold) {
    /**
     * Priors and costs of the a-DCF.
     *
     * @param targetPrior prior of a target trial
     * @param nontargetPrior prior of a nontarget trial
     * @param spoofPrior prior of a spoofed trial
     * @param missCost cost of rejecting a target
     * @param nontargetFalseAlarmCost cost of accepting a nontarget
     * @param spoofFalseAlarmCost cost of accepting a spoof
     */
    public record Costs(double targetPrior, double nontargetPrior, double spoofPrior, double missCost,
            double nontargetFalseAlarmCost, double spoofFalseAlarmCost) {
        /** ASVspoof 5 Track 2: Ptar 0.95 x 0.99, Pnon 0.95 x 0.01, Pspoof 0.05, Cmiss 1, both false alarms 10. */
        public static final Costs ASVSPOOF5 = new Costs((1 - 0.05) * 0.99, (1 - 0.05) * 0.01, 0.05, 1, 10, 10);
    }

    /** The minimum a-DCF of SASV scores split by the ASV key ({@code _calculate_a_dcf}). */
    public static ArchitectureDcf minimum(AsvScoreSet sasv, Costs costs) {
        double[] tar = sasv.targetScores();
        double[] non = sasv.nontargetScores();
        double[] spf = sasv.spoofScores();
        int n = tar.length + non.length + spf.length;
        double[] all = new double[n];
        System.arraycopy(tar, 0, all, 0, tar.length);
        System.arraycopy(non, 0, all, tar.length, non.length);
        System.arraycopy(spf, 0, all, tar.length + non.length, spf.length);
        int[] order = StableSort.order(all);

        double missWeight = costs.missCost() * costs.targetPrior();
        double nonWeight = costs.nontargetFalseAlarmCost() * costs.nontargetPrior();
        double spoofWeight = costs.spoofFalseAlarmCost() * costs.spoofPrior();
        double normaliser = Math.min(nonWeight + spoofWeight, missWeight);

        int nontargetAccepted = non.length;
        int spoofAccepted = spf.length;
        int targetRejected = 0;
        // Below every score: all accepted. The official code puts this threshold 1e-8 under the lowest score.
        double best = (missWeight * 0.0 + nonWeight * 1.0 + spoofWeight * 1.0) / normaliser;
        double bestThreshold = all[order[0]] - 1e-8;
        for (int k = 0; k < n; k++) {
            int i = order[k];
            if (i < tar.length) {
                targetRejected++;
            } else if (i < tar.length + non.length) {
                nontargetAccepted--;
            } else {
                spoofAccepted--;
            }
            double cost = missWeight * (targetRejected / (double) tar.length)
                    + nonWeight * (nontargetAccepted / (double) non.length)
                    + spoofWeight * (spoofAccepted / (double) spf.length);
            double normalised = cost / normaliser;
            if (normalised < best) {
                best = normalised;
                bestThreshold = all[i];
            }
        }
        return new ArchitectureDcf(best, bestThreshold);
    }
}
