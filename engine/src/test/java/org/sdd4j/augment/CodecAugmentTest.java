package org.sdd4j.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CodecAugmentTest {
    private static final int FS = 16_000;
    private static final CodecAugment TOOLS = CodecAugment.detect();

    /** 0.3 s of 300 Hz and 5 kHz tones. */
    private static float[] tones() {
        float[] x = new float[FS * 3 / 10];
        for (int i = 0; i < x.length; i++) {
            double t = i / (double) FS;
            x[i] = (float) (0.3 * Math.sin(2 * Math.PI * 300 * t) + 0.1 * Math.sin(2 * Math.PI * 5000 * t));
        }
        return x;
    }

    /** Amplitude of the {@code hz} component over the middle half of x (phase-independent, so codec delay does not matter). */
    private static double amplitude(float[] x, double hz) {
        int from = x.length / 4;
        int to = 3 * x.length / 4;
        double re = 0;
        double im = 0;
        for (int i = from; i < to; i++) {
            double w = 2 * Math.PI * hz * i / FS;
            re += x[i] * Math.cos(w);
            im += x[i] * Math.sin(w);
        }
        return 2 * Math.hypot(re, im) / (to - from);
    }

    private static void assumeAvailable(CodecAugment tools, Codec codec) {
        var reason = tools.unavailableReason(codec);
        assumeTrue(reason.isEmpty(), () -> reason.orElse(""));
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void roundTripKeepsLengthAndSpeechBandAndIsReproducible(Codec codec) throws Exception {
        assumeAvailable(TOOLS, codec);
        float[] x = tones();
        float[] y = TOOLS.apply(x, FS, codec, new SplittableRandom(3));
        assertEquals(x.length, y.length);
        assertFalse(Arrays.equals(x, y), codec + " must change the samples");
        double low = amplitude(y, 300);
        assertTrue(low > 0.15 && low < 0.45, codec + ": 300 Hz amplitude 0.3 became " + low);
        if (codec.codecRate() == 8000) {
            assertTrue(amplitude(y, 5000) < 0.02, codec + " at 8 kHz must remove the 5 kHz tone, left " + amplitude(y, 5000));
        }
        assertArrayEquals(y, TOOLS.apply(x, FS, codec, new SplittableRandom(3)), codec + " with the same seed");
    }

    @Test
    void soxAloneServesTheCodecsItEncodes() throws Exception {
        assumeTrue(TOOLS.sox().isPresent(), "sox is not installed");
        var soxOnly = CodecAugment.withTools(null, TOOLS.sox().get());
        assumeAvailable(soxOnly, Codec.GSM);
        float[] y = soxOnly.apply(tones(), FS, Codec.GSM, new SplittableRandom(1));
        assertEquals(tones().length, y.length);
        assertTrue(amplitude(y, 5000) < 0.02);
        assertFalse(soxOnly.isAvailable(Codec.G722), "sox cannot encode G.722");
        assertTrue(soxOnly.unavailableReason(Codec.G722).orElseThrow().contains("ffmpeg is not on PATH"));
    }

    @Test
    void withoutToolsEveryCodecIsSkippedWithAClearMessage() {
        var none = CodecAugment.withTools(null, null);
        assertTrue(none.availableCodecs().isEmpty());
        var e = assertThrows(CodecUnavailableException.class,
                () -> none.apply(tones(), FS, Codec.MP3, new SplittableRandom(1)));
        assertEquals(Codec.MP3, e.codec());
        assertTrue(e.getMessage().contains("MP3") && e.getMessage().contains("neither ffmpeg nor sox"), e.getMessage());
    }
}
