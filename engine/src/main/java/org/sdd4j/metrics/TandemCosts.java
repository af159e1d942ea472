package org.sdd4j.metrics;

/**
 * Priors and costs of the tandem (CM then ASV) detection cost function. One record carries both the
 * ASVspoof 2019 cost model (separate ASV and CM costs) and the revised one of ASVspoof 2021 and 5
 * (costs of the tandem system's decisions).
 *
 * @param targetPrior prior of a target trial
 * @param nontargetPrior prior of a nontarget (zero-effort impostor) trial
 * @param spoofPrior prior of a spoofing attack
 * @param missCost revised model: cost of rejecting a target
 * @param falseAlarmCost revised model: cost of accepting a nontarget
 * @param spoofFalseAlarmCost revised model: cost of accepting a spoof
 * @param asvMissCost 2019 model: cost of the ASV rejecting a target
 * @param asvFalseAlarmCost 2019 model: cost of the ASV accepting a nontarget
 * @param cmMissCost 2019 model: cost of the CM rejecting bona fide speech
 * @param cmFalseAlarmCost 2019 model: cost of the CM passing a spoof
 */
public record TandemCosts(double targetPrior, double nontargetPrior, double spoofPrior,
        double missCost, double falseAlarmCost, double spoofFalseAlarmCost,
        double asvMissCost, double asvFalseAlarmCost, double cmMissCost, double cmFalseAlarmCost) {
    /**
     * The costs of ASVspoof 2019, 2021 and 5 (the same numbers): Pspoof 0.05, Ptar 0.95 x 0.99,
     * Pnon 0.95 x 0.01, every miss cost 1, every false-alarm cost 10.
     */
    public static final TandemCosts ASVSPOOF = new TandemCosts(
            (1 - 0.05) * 0.99, (1 - 0.05) * 0.01, 0.05, 1, 10, 10, 1, 10, 1, 10);

    /** The priors must be non-negative and sum to one (to 1e-10, as the official check). */
    public TandemCosts {
        if (targetPrior < 0 || nontargetPrior < 0 || spoofPrior < 0
                || Math.abs(targetPrior + nontargetPrior + spoofPrior - 1) > 1e-10) {
            throw new IllegalArgumentException("tandem priors must be non-negative and sum to one, were "
                    + targetPrior + ", " + nontargetPrior + ", " + spoofPrior);
        }
    }
}
