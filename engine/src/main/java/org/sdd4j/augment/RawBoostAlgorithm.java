package org.sdd4j.augment;

/** RawBoost's algorithm numbers (the reference's {@code --algo}), with what each applies. */
public enum RawBoostAlgorithm {
    /** 0: the waveform unchanged. */
    NONE(0),
    /** 1: linear and non-linear convolutive noise. */
    LNL(1),
    /** 2: impulsive signal-dependent noise. */
    ISD(2),
    /** 3: stationary signal-independent (coloured additive) noise. */
    SSI(3),
    /** 4: 1, 2 and 3 in series. */
    LNL_ISD_SSI(4),
    /** 5: 1 then 2 (the SSL-AASIST LA recipe). */
    LNL_ISD(5),
    /** 6: 1 then 3. */
    LNL_SSI(6),
    /** 7: 2 then 3. */
    ISD_SSI(7),
    /** 8: 1 and 2 applied to the same input, summed and peak-limited. */
    LNL_PLUS_ISD(8);

    private final int code;

    RawBoostAlgorithm(int code) {
        this.code = code;
    }

    /** The reference's number for this algorithm. */
    public int code() {
        return code;
    }

    /**
     * The algorithm with the reference's number. The reference treats any number outside 1..8 as "no
     * augmentation"; here only 0 means that and other numbers are rejected, so a typo is not silently
     * a run without augmentation.
     */
    public static RawBoostAlgorithm of(int code) {
        for (RawBoostAlgorithm a : values()) {
            if (a.code == code) {
                return a;
            }
        }
        throw new IllegalArgumentException("RawBoost algorithm must be 0..8, was " + code);
    }
}
