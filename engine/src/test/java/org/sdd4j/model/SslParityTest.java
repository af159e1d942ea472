package org.sdd4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Ops;
import org.sdd4j.backend.Backends;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.ssl.AntiDeepfake;
import org.sdd4j.model.ssl.SslAasist;
import org.sdd4j.tensor.Tensor;

/** The mini SSL-AASIST and AntiDeepfake checkpoints against the original PyTorch code's logits and features. */
class SslParityTest {
    private static final double TOLERANCE = 2e-4;
    private static final Backend BACKEND = Backends.cpu(2);

    @AfterAll
    static void close() {
        BACKEND.close();
    }

    @Test
    void sslAasistEncoderFeaturesMatch() throws Exception {
        Npy expected = Npy.read(SharedFixtures.root().resolve("fixtures/reference/ssl_aasist_mini.espeak_1.ssl_features.npy"));
        try (StateDict sd = Checkpoints.open(SharedFixtures.root().resolve("fixtures/reference/ssl_aasist_mini.pth"));
             Ops ops = new Ops(BACKEND)) {
            SslAasist model = new SslAasist(sd);
            assertEquals(256, model.encoder().config().hidden());
            assertTrue(model.encoder().config().preLayerNorm());
            float[] x = model.input().prepare(AudioReader.read(SharedFixtures.audio("espeak_1.wav")).samples());
            Tensor feats = model.encoder().forward(ops, Tensor.of(ops.arena(), x, 1, x.length));
            assertArrayEquals(new int[] {1, expected.shape()[0], expected.shape()[1]}, feats.shape());
            double worst = 0;
            for (int i = 0; i < expected.data().length; i++) {
                worst = Math.max(worst, Math.abs(expected.data()[i] - feats.getFloat(i)));
            }
            System.out.printf("ssl_aasist_mini encoder features: max |difference| = %.3g%n", worst);
            assertTrue(worst <= 1e-4, "feature difference " + worst);
        }
    }

    @Test
    void sslAasistLogitsMatch() throws Exception {
        check("ssl_aasist_mini.pth", SslAasist::new);
    }

    @Test
    void antiDeepfakeLogitsMatch() throws Exception {
        check("antideepfake_mini.pth", AntiDeepfake::new);
    }

    private void check(String file, Function<StateDict, SpoofModel> factory) throws Exception {
        JsonNode expected = SharedFixtures.json("fixtures/reference/expected_logits.json").get(file);
        assertTrue(expected != null && expected.size() > 0, "expected logits for " + file);
        double worst = 0;
        try (StateDict sd = Checkpoints.open(SharedFixtures.root().resolve("fixtures/reference/" + file))) {
            SpoofModel model = factory.apply(sd);
            for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                float[] x = model.input().prepare(AudioReader.read(SharedFixtures.audio(e.getKey())).samples());
                try (Ops ops = new Ops(BACKEND)) {
                    Tensor logits = model.logits(ops, Tensor.of(ops.arena(), x, 1, x.length));
                    for (int c = 0; c < 2; c++) {
                        worst = Math.max(worst, Math.abs(e.getValue().get(c).asDouble() - logits.getFloat(c)));
                    }
                }
            }
        }
        System.out.printf("%s: max |logit difference| = %.3g over %d clips%n", file, worst, expected.size());
        assertTrue(worst <= TOLERANCE, file + ": max |logit difference| " + worst);
    }
}
