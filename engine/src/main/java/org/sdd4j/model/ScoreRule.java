package org.sdd4j.model;

/** How a detector's two logits {@code [spoof, bona fide]} become one score (higher = more bona fide). */
public enum ScoreRule {
    /** The bona fide logit, as AASIST and SSL-AASIST report. */
    BONAFIDE_LOGIT,
    /** softmax(logits)[1], P(real), as AntiDeepfake reports. */
    BONAFIDE_PROBABILITY;

    public double score(float spoofLogit, float bonafideLogit) {
        return switch (this) {
            case BONAFIDE_LOGIT -> bonafideLogit;
            case BONAFIDE_PROBABILITY -> 1.0 / (1.0 + StrictMath.exp((double) spoofLogit - bonafideLogit));
        };
    }
}
