package org.sdd4j.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ResamplerTest {
    private static final double SECONDS = 0.125;

    private static Path dir() throws Exception {
        return Path.of(ResamplerTest.class.getResource("/resample/resample_reference.json").toURI()).getParent();
    }

    static Stream<Arguments> cases() throws Exception {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : new ObjectMapper().readTree(dir().resolve("resample_reference.json").toFile()).get("cases")) {
            out.add(Arguments.of(c.get("fromRate").asInt(), c.get("signal").asText(), c));
        }
        return out.stream();
    }

    /** The test signals of tools/scripts/make_resample_fixtures.py, computed the same way. */
    static float[] signal(String name, int rate) {
        int n = (int) (SECONDS * rate);
        double nyq = Math.min(rate, 16000) / 2.0;
        double f1 = 0.99 * rate / 2;
        float[] x = new float[n];
        long lcg = 12345;
        for (int i = 0; i < n; i++) {
            double t = i / (double) rate;
            x[i] = (float) switch (name) {
                case "sines" -> 0.3 * Math.sin(2 * Math.PI * 0.11 * nyq * t) + 0.2 * Math.sin(2 * Math.PI * 0.43 * nyq * t + 1)
                        + 0.1 * Math.sin(2 * Math.PI * 0.83 * nyq * t + 2);
                case "chirp" -> 0.5 * Math.sin(2 * Math.PI * (20 * t + (f1 - 20) * t * t / (2 * SECONDS)));
                default -> {
                    lcg = (1664525 * lcg + 1013904223) & 0xFFFFFFFFL;
                    yield (lcg >> 8) / Math.pow(2, 23) - 1.0;
                }
            };
        }
        return x;
    }

    /** Same filter (designed independently by scipy.firwin), same alignment: only float rounding differs. */
    @ParameterizedTest(name = "{0} Hz {1}")
    @MethodSource("cases")
    void matchesScipyResamplePoly(int fromRate, String name, JsonNode c) throws Exception {
        Resampler r = Resampler.of(fromRate, 16000);
        float[] y = r.process(signal(name, fromRate));
        assertEquals(c.get("inputLength").asInt(), signal(name, fromRate).length);
        assertEquals(c.get("length").asInt(), y.length);
        assertEquals((c.get("taps").asInt() + (16000 / gcd(fromRate, 16000)) - 1) / (16000 / gcd(fromRate, 16000)),
                r.tapsPerOutput(), "filter length differs from scipy's design");
        ByteBuffer ref = ByteBuffer.wrap(Files.readAllBytes(dir().resolve("resample_reference.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        int offset = c.get("offset").asInt();
        double maxDiff = 0;
        for (int i = 0; i < y.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(y[i] - ref.getFloat(4 * (offset + i))));
        }
        assertTrue(maxDiff < 2e-6, fromRate + " Hz " + name + ": max |diff| vs scipy " + maxDiff);
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** A pass-band tone comes out as the same tone: checks gain, phase (zero delay) and image rejection. */
    @ParameterizedTest
    @ValueSource(ints = {8000, 11025, 22050, 44100, 48000, 32000, 24000, 12000})
    void passBandSineIsPreserved(int fromRate) {
        double f = 0.85 * Math.min(fromRate, 16000) / 2; // inside the pass band (0.90 of the lower Nyquist)
        int n = fromRate / 2;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (0.5 * Math.sin(2 * Math.PI * f * i / fromRate + 0.3));
        }
        float[] y = Resampler.of(fromRate, 16000).process(x);
        double maxErr = 0;
        for (int m = 1000; m < y.length - 1000; m++) { // away from the zero-padded edges
            maxErr = Math.max(maxErr, Math.abs(y[m] - 0.5 * Math.sin(2 * Math.PI * f * m / 16000 + 0.3)));
        }
        assertTrue(maxErr < 5e-5, fromRate + " Hz: max error " + maxErr + " (ripple spec 0.001 dB ~ 6e-5 of 0.5)");
    }

    /** A tone above the output Nyquist is removed to the stop-band level instead of aliasing. */
    @ParameterizedTest
    @ValueSource(ints = {22050, 44100, 48000})
    void stopBandToneIsRemoved(int fromRate) {
        double f = 8300; // aliases to 7700 Hz if not filtered
        int n = fromRate / 2;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (0.9 * Math.sin(2 * Math.PI * f * i / fromRate));
        }
        float[] y = Resampler.of(fromRate, 16000).process(x);
        double energy = 0;
        int count = 0;
        for (int m = 1000; m < y.length - 1000; m++, count++) {
            energy += y[m] * y[m];
        }
        double db = 10 * Math.log10(energy / count / (0.9 * 0.9 / 2));
        assertTrue(db < -Resampler.STOPBAND_DB + 3, fromRate + " Hz: alias at " + db + " dB");
    }

    @Test
    void sameRateIsIdentityAndLengthsRoundUp() {
        AudioClip clip = new AudioClip(new float[] {0.1f, 0.2f}, 16000, "x");
        assertSame(clip, Resampler.resample(clip, 16000));
        assertEquals(16000, Resampler.resample(new AudioClip(new float[44100], 44100, "y"), 16000).length());
        assertEquals(4, Resampler.of(44100, 16000).outputLength(10)); // ceil(10 * 160 / 441)
        assertEquals(0, Resampler.of(48000, 16000).process(new float[0]).length);
    }
}
