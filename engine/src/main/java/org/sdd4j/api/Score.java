package org.sdd4j.api;

/**
 * The verdict on one utterance.
 *
 * @param score         the model's score, higher meaning more likely bona fide: the bona fide logit for
 *                      AASIST-style models, P(bona fide) for AntiDeepfake (the model's {@code ScoreRule})
 * @param spoofLogit    the raw logit of class 0 (spoof)
 * @param bonafideLogit the raw logit of class 1 (bona fide)
 */
public record Score(double score, float spoofLogit, float bonafideLogit) {
}
