package org.sdd4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The rounding the emulator applies to product inputs, as tensor cores do, and the precision's names. */
class MatmulPrecisionTest {
    private static float pow2(int e) {
        return Math.scalb(1f, e);
    }

    @Test
    void bf16RoundsToSevenMantissaBitsTiesToEven() {
        MatmulPrecision bf16 = MatmulPrecision.BF16;
        assertEquals(1f, bf16.round(1f + pow2(-8)), "a tie goes to the even neighbour, down");
        assertEquals(1f + pow2(-6), bf16.round(1f + 3 * pow2(-8)), "a tie goes to the even neighbour, up");
        assertEquals(1f + pow2(-7), bf16.round(1f + pow2(-8) + pow2(-20)), "above the tie rounds up");
        assertEquals(-1f, bf16.round(-1f - pow2(-8)), "the sign is kept");
    }

    @Test
    void tf32RoundsToTenMantissaBitsTiesAway() {
        MatmulPrecision tf32 = MatmulPrecision.TF32;
        assertEquals(1f + pow2(-10), tf32.round(1f + pow2(-11)), "a tie goes away from zero");
        assertEquals(-1f - pow2(-10), tf32.round(-1f - pow2(-11)));
        assertEquals(1f, tf32.round(1f + pow2(-12)));
    }

    @Test
    void float32AndSpecialValuesPassThrough() {
        float v = 1.2345678f;
        assertEquals(v, MatmulPrecision.FLOAT32.round(v));
        assertTrue(Float.isNaN(MatmulPrecision.BF16.round(Float.NaN)));
        assertEquals(Float.POSITIVE_INFINITY, MatmulPrecision.TF32.round(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, MatmulPrecision.BF16.round(Float.MAX_VALUE), "rounds past the largest");
    }

    @Test
    void namesParseAndBadNamesSayWhatIsAccepted() {
        assertEquals(MatmulPrecision.BF16, MatmulPrecision.parse(" BF16 "));
        assertEquals("tf32", MatmulPrecision.TF32.label());
        var e = assertThrows(IllegalArgumentException.class, () -> MatmulPrecision.parse("fp8"));
        assertTrue(e.getMessage().contains("float32, tf32 or bf16"), e.getMessage());
    }
}
