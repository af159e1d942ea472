package org.sdd4j.backend;

import org.sdd4j.tensor.Tensor;

/**
 * Receives the named intermediate outputs a model reports during a forward pass run in an {@link Ops}
 * scope made with {@link Ops#Ops(Backend, LayerRecorder)} (e.g. to compare two models layer by layer).
 * Scopes without a recorder skip the reports at the cost of one null check per layer.
 *
 * <p>The reported tensor belongs to the forward pass: it is valid only during the call and must not be
 * changed. A recorder copies what it needs.
 */
@FunctionalInterface
public interface LayerRecorder {

    /** What the axes of a reported output are, so a recorder can pool it per utterance without knowing the model. */
    enum Layout {
        /** {@code [B, C, T]} or {@code [B, C, F, T]}: channels (and frequency bands) by time, time last. */
        FEATURE_MAP,
        /** {@code [B, N, D]}: N frames of D features each. */
        FRAMES,
        /** {@code [B, N, D]}: N graph nodes of D features each. */
        NODES,
        /** {@code [B, D]}: one feature vector per utterance. */
        VECTOR
    }

    /**
     * @param layer  the layer's name; where the layer has weights, the checkpoint prefix of its module
     *               (e.g. {@code encoder.3}, {@code ssl_model.model.encoder.layers.11})
     * @param output the layer's output for the whole batch, dimension 0 the utterance
     * @param layout how to read {@code output}'s other dimensions
     */
    void record(String layer, Tensor output, Layout layout);
}
