package org.sdd4j.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One utterance of a corpus protocol: its id, where its audio is, its label (bona fide = 1, spoof =
 * 0, the convention of the published detectors), the attack or generator tag ("-" when the protocol
 * has none or the utterance is bona fide) and the speaker ("-" when unknown).
 */
public record LabeledUtterance(String id, Path audio, int label, String attack, String speaker) {
    public static final int BONA_FIDE = 1;
    public static final int SPOOF = 0;

    public LabeledUtterance {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(audio, "audio");
        Objects.requireNonNull(attack, "attack");
        Objects.requireNonNull(speaker, "speaker");
        if (label != BONA_FIDE && label != SPOOF) {
            throw new IllegalArgumentException(id + ": label must be 1 (bona fide) or 0 (spoof), was " + label);
        }
    }

    public boolean isBonaFide() {
        return label == BONA_FIDE;
    }
}
