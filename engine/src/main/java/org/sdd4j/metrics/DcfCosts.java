package org.sdd4j.metrics;

/**
 * Costs and prior of the countermeasure detection cost function.
 *
 * @param spoofPrior prior probability of a spoofing attack
 * @param missCost cost of rejecting a bona fide trial
 * @param falseAlarmCost cost of accepting a spoofed trial
 */
public record DcfCosts(double spoofPrior, double missCost, double falseAlarmCost) {
    /** ASVspoof 5 Track 1: Pspoof 0.05, Cmiss 1, Cfa 10. */
    public static final DcfCosts ASVSPOOF5 = new DcfCosts(0.05, 1, 10);

    /** Checks that the prior is a probability strictly between 0 and 1 and the costs positive. */
    public DcfCosts {
        if (!(spoofPrior > 0 && spoofPrior < 1)) {
            throw new IllegalArgumentException("spoof prior must be in (0, 1), was " + spoofPrior);
        }
        if (!(missCost > 0) || !(falseAlarmCost > 0)) {
            throw new IllegalArgumentException("costs must be positive, were " + missCost + " and " + falseAlarmCost);
        }
    }

    /** The LLR threshold of the Bayes decision, -log(beta) with beta = Cmiss (1 - Pspoof) / (Cfa Pspoof). */
    public double bayesThreshold() {
        double beta = missCost * (1 - spoofPrior) / (falseAlarmCost * spoofPrior);
        return -Math.log(beta);
    }
}
