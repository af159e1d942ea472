package org.sdd4j.data;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import org.sdd4j.audio.InputConvention;

/** Bringing a waveform to a model's fixed input length (64,600 samples for AASIST / SSL-AASIST). */
public final class Crop {
    private Crop() {
    }

    /**
     * The training crop of the AASIST reference ({@code pad_random}): a window of {@code length}
     * samples at a random offset; shorter audio is tiled as in {@link InputConvention#fixedLength}.
     * The offset is uniform on [0, len - length), as numpy's {@code randint(len - length)}; the last
     * possible window is never chosen (a reference quirk kept), and audio of exactly {@code length}
     * samples (where the reference raises) is returned whole.
     */
    public static float[] random(float[] x, int length, RandomGenerator rng) {
        if (length <= 0) {
            throw new IllegalArgumentException("target length must be positive, was " + length);
        }
        if (x.length < length) {
            return InputConvention.fixedLength(x, length);
        }
        int offset = x.length == length ? 0 : rng.nextInt(x.length - length);
        return Arrays.copyOfRange(x, offset, offset + length);
    }

    /**
     * The SSL-AASIST training and evaluation rule ({@code pad}): the first {@code length} samples, or
     * tiled when shorter.
     */
    public static float[] head(float[] x, int length) {
        return InputConvention.fixedLength(x, length);
    }
}
