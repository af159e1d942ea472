package org.sdd4j.model;

import org.sdd4j.audio.InputConvention;

/**
 * What a model family expects of its input waveform (DESIGN.md 3.1).
 *
 * @param fixedLength samples per input (64,600 for AASIST-style models), or 0 for whole utterances
 * @param utteranceNorm whether the waveform is layer-normalised over the whole utterance first
 */
public record InputSpec(int fixedLength, boolean utteranceNorm) {
    public static final InputSpec FIXED_64600 = new InputSpec(InputConvention.AASIST_LENGTH, false);
    public static final InputSpec WHOLE_NORMALISED = new InputSpec(0, true);

    /** Prepares mono 16 kHz samples for the model: pad/tile or keep whole, then normalise if asked. */
    public float[] prepare(float[] samples) {
        float[] x = fixedLength > 0 ? InputConvention.fixedLength(samples, fixedLength) : samples;
        return utteranceNorm ? InputConvention.utteranceLayerNorm(x) : x;
    }
}
