package org.sdd4j.audio;

import java.util.Objects;

/**
 * A decoded mono clip: samples in [-1, 1] (float formats may exceed that range; they are not
 * clipped), the sample rate in Hz, and the name of the source it came from (used in messages).
 *
 * <p>The samples array is owned by the clip and is not copied; callers must not modify it while the
 * clip is shared. Clip-sized audio (seconds to minutes) fits a {@code float[]} comfortably.
 */
public record AudioClip(float[] samples, int sampleRate, String source) {

    public AudioClip {
        Objects.requireNonNull(samples, "samples");
        Objects.requireNonNull(source, "source");
        if (sampleRate <= 0) {
            throw new IllegalArgumentException(source + ": sample rate must be positive, was " + sampleRate);
        }
    }

    /** Number of samples. */
    public int length() {
        return samples.length;
    }

    /** Duration in seconds. */
    public double seconds() {
        return samples.length / (double) sampleRate;
    }

    @Override
    public String toString() {
        return "AudioClip[" + source + ", " + samples.length + " samples @ " + sampleRate + " Hz]";
    }
}
