package org.sdd4j.backend.cuda;

import java.util.Locale;

/**
 * What the CUDA backend's matrix products (linear layers, attention, and the convolutions' GEMMs) may round
 * their float32 inputs to on tensor cores; products accumulate, and every other operation computes, in float32.
 * Chosen with {@code -Dsdd4j.cuda.precision=float32|tf32|bf16} ({@code -Dsdd4j.cuda.tf32=true} still means TF32).
 * The tolerances each is held to are in {@link CudaBackend#TF32_PROPERTY}.
 */
public enum MatmulPrecision {
    /** Full float32 products (cuBLASLt's CUBLAS_COMPUTE_32F). */
    FLOAT32(23, false),
    /** Inputs rounded to TF32's 10 mantissa bits, ties away from zero as {@code cvt.rna.tf32.f32} rounds. */
    TF32(10, true),
    /** Inputs rounded to bfloat16's 7 mantissa bits, ties to even as {@code cvt.rn.bf16.f32} rounds. */
    BF16(7, false);

    /** The property that names a precision. */
    public static final String PROPERTY = "sdd4j.cuda.precision";

    private final int mantissaBits;
    private final boolean tiesAway;

    MatmulPrecision(int mantissaBits, boolean tiesAway) {
        this.mantissaBits = mantissaBits;
        this.tiesAway = tiesAway;
    }

    /** The precision the system properties ask for: {@value #PROPERTY}, else {@code sdd4j.cuda.tf32}, else float32. */
    public static MatmulPrecision fromProperties() {
        String named = System.getProperty(PROPERTY);
        if (named != null && !named.isBlank()) {
            return parse(named);
        }
        return Boolean.getBoolean(CudaBackend.TF32_PROPERTY) ? TF32 : FLOAT32;
    }

    /** {@code float32}, {@code tf32} or {@code bf16}. */
    public static MatmulPrecision parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + name + " is not a precision; use float32, tf32"
                    + " or bf16", e);
        }
    }

    /** The lower-case name (float32, tf32, bf16), as logs and benchmark records spell it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code v} as a product input in this precision: the host kernel emulator's model of the tensor cores. */
    public float round(float v) {
        if (this == FLOAT32) {
            return v;
        }
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7f800000) == 0x7f800000) {
            return v; // infinities and NaNs pass through
        }
        int drop = 23 - mantissaBits;
        int half = 1 << (drop - 1), mask = (1 << drop) - 1;
        bits = tiesAway ? bits + half : bits + half - 1 + ((bits >>> drop) & 1);
        return Float.intBitsToFloat(bits & ~mask);
    }
}
