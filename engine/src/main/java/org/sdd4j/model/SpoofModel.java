package org.sdd4j.model;

import org.sdd4j.backend.Ops;
import org.sdd4j.tensor.Tensor;

/**
 * A loaded detector: raw 16 kHz waveforms in, two logits per utterance out ({@code [spoof, bona fide]}).
 * Implementations hold only weights (views into the checkpoint's mapped memory) and are safe to share
 * between threads; all activations live in the caller's {@link Ops} scope.
 */
public interface SpoofModel {

    /** The family, e.g. "aasist", "ssl-aasist", "antideepfake". */
    String family();

    /** How raw audio is shaped before {@link #logits}. */
    InputSpec input();

    /** How the two logits become one score: the bona fide logit unless the family says otherwise. */
    default ScoreRule scoreRule() {
        return ScoreRule.BONAFIDE_LOGIT;
    }

    /**
     * Logits {@code [B, 2]} for a batch of waveforms {@code [B, T]} already prepared by {@link #input()}
     * (all of the same length T).
     */
    Tensor logits(Ops ops, Tensor waveforms);

    /** Number of parameters (trainable tensors, not running statistics). */
    long parameterCount();
}
