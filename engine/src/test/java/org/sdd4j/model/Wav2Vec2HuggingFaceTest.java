package org.sdd4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Ops;
import org.sdd4j.backend.Backends;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.ssl.Wav2Vec2Encoder;
import org.sdd4j.tensor.Tensor;

/**
 * Hugging Face {@code Wav2Vec2Model} safetensors in both published variants (fixtures from
 * tools/scripts/make_wav2vec2_fixtures.py): every hidden state within 1e-4 relative of transformers.
 */
class Wav2Vec2HuggingFaceTest {
    private static final Path DIR = Path.of("src/test/resources/fixtures/wav2vec2");
    private static final Backend BACKEND = Backends.cpu(2);

    @AfterAll
    static void close() {
        BACKEND.close();
    }

    @ParameterizedTest
    @CsvSource({"pre_ln, true, 16000", "pre_ln, true, 23456", "post_ln, false, 16000", "post_ln, false, 23456"})
    void hiddenStatesMatchTransformers(String variant, boolean preLn, int samples) throws Exception {
        JsonNode hf = new ObjectMapper().readTree(DIR.resolve(variant + "/model/config.json").toFile());
        Npy input = Npy.read(DIR.resolve("input_" + samples + ".npy"));
        try (StateDict sd = Checkpoints.open(DIR.resolve(variant + "/model/model.safetensors"));
             Ops ops = new Ops(BACKEND)) {
            Wav2Vec2Encoder encoder = new Wav2Vec2Encoder(sd, hf.get("num_attention_heads").asInt());
            assertEquals(preLn, encoder.config().preLayerNorm());
            assertEquals(hf.get("num_hidden_layers").asInt(), encoder.config().layers());
            List<Tensor> hidden = new ArrayList<>();
            Tensor last = encoder.forward(ops, Tensor.of(ops.arena(), input.data(), 1, samples), hidden);
            compare(variant + " last_hidden_state", Npy.read(DIR.resolve(variant + "/last_hidden_state_" + samples + ".npy")), last);
            for (int i = 0; i < hidden.size(); i++) {
                compare(variant + " hidden_state_" + i,
                        Npy.read(DIR.resolve(variant + "/hidden_state_" + i + "_" + samples + ".npy")), hidden.get(i));
            }
        }
    }

    /** Max |difference| relative to the largest reference magnitude. */
    private static void compare(String what, Npy expected, Tensor actual) {
        assertArrayEquals(new int[] {1, expected.shape()[0], expected.shape()[1]}, actual.shape(), what);
        double worst = 0, scale = 0;
        for (int i = 0; i < expected.data().length; i++) {
            worst = Math.max(worst, Math.abs(expected.data()[i] - actual.getFloat(i)));
            scale = Math.max(scale, Math.abs(expected.data()[i]));
        }
        assertTrue(worst <= 1e-4 * scale, what + ": max |difference| " + worst + " vs scale " + scale);
    }
}
