package org.sdd4j.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** FirDesign against scipy.signal (tools/scripts/make_rawboost_fixtures.py). */
class FirDesignTest {
    private static JsonNode reference;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = FirDesignTest.class.getResourceAsStream("/rawboost/firwin_reference.json")) {
            reference = new ObjectMapper().readTree(in);
        }
    }

    private static double[] doubles(JsonNode array) {
        double[] d = new double[array.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = array.get(i).asDouble();
        }
        return d;
    }

    private static double[] testSignal() {
        double[] x = new double[200];
        for (int n = 0; n < x.length; n++) {
            x[n] = 0.5 * Math.sin(0.05 * n) + 0.25 * Math.cos(0.31 * n + 1);
        }
        return x;
    }

    private static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, what + " at " + i);
        }
    }

    @Test
    void firwinFreqzAndFilterMatchScipy() {
        double fs = reference.get("fs").asDouble();
        for (JsonNode c : reference.get("cases")) {
            String what = "firwin(" + c.get("numTaps") + ", " + c.get("cutoff") + ", pass_zero=" + c.get("passZero") + ")";
            double[] h = FirDesign.firwin(c.get("numTaps").asInt(), doubles(c.get("cutoff")), c.get("passZero").asBoolean(), fs);
            assertClose(doubles(c.get("taps")), h, 1e-12, what);
            assertEquals(c.get("maxMagnitude").asDouble(), FirDesign.maxMagnitude(h), 1e-12, what + " freqz peak");
            assertClose(doubles(c.get("filtered")), FirDesign.filterCentred(testSignal(), h), 1e-12, what + " filterFIR");
        }
    }

    @Test
    void notchCascadeMatchesScipy() {
        double fs = reference.get("fs").asDouble();
        JsonNode cases = reference.get("cases");
        double[] b = {1.0};
        for (JsonNode m : reference.get("cascade").get("members")) {
            JsonNode c = cases.get(m.asInt());
            b = FirDesign.convolve(FirDesign.firwin(c.get("numTaps").asInt(), doubles(c.get("cutoff")), true, fs), b);
        }
        JsonNode cascade = reference.get("cascade");
        assertClose(doubles(cascade.get("taps")), b, 1e-12, "cascade taps");
        assertEquals(cascade.get("maxMagnitude").asDouble(), FirDesign.maxMagnitude(b), 1e-11, "cascade freqz peak");
        assertClose(doubles(cascade.get("filtered")), FirDesign.filterCentred(testSignal(), b), 1e-11, "cascade filterFIR");
    }

    @Test
    void rejectsWhatScipyRejects() {
        assertThrows(IllegalArgumentException.class, () -> FirDesign.firwin(10, new double[] {300, 800}, true, 16000),
                "band-stop with an even length");
        assertThrows(IllegalArgumentException.class, () -> FirDesign.firwin(11, new double[] {800, 300}, true, 16000));
        assertThrows(IllegalArgumentException.class, () -> FirDesign.firwin(11, new double[] {300, 8000}, true, 16000));
    }
}
