package org.sdd4j.data;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Seeds derived from a run seed and coordinates (epoch, position, stream), so that every random
 * choice depends only on where it is made, never on which thread makes it or in what order.
 */
public final class Seeds {
    /** Stream tag for the sampler's epoch order. */
    static final long SAMPLER = 0x5A3D_1E55_0000_0001L;
    /** Stream tag for per-item augmentation and cropping. */
    static final long ITEM = 0x5A3D_1E55_0000_0002L;

    private Seeds() {
    }

    /** A 64-bit seed mixing {@code seed} with each of {@code parts} (SplitMix64's finaliser, chained). */
    public static long mix(long seed, long... parts) {
        long h = mix64(seed);
        for (int i = 0; i < parts.length; i++) {
            h = mix64(h ^ mix64(parts[i] + 0x9E37_79B9_7F4A_7C15L * (i + 1)));
        }
        return h;
    }

    /** The generator for one item of one epoch: decoding-time augmentation and cropping draw from it. */
    public static RandomGenerator forItem(long seed, int epoch, long position) {
        return new SplittableRandom(mix(seed, ITEM, epoch, position));
    }

    static RandomGenerator forEpoch(long seed, int epoch) {
        return new SplittableRandom(mix(seed, SAMPLER, epoch));
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
