package org.sdd4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdd4j.api.Detector;
import org.sdd4j.api.DetectorOptions;
import org.sdd4j.api.Score;
import org.sdd4j.backend.Activation;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Backends;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.CheckpointException;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.ssl.LayerFusionCheckpoint;
import org.sdd4j.model.ssl.LayerFusionConfig;
import org.sdd4j.model.ssl.LayerFusionFfn;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.zoo.ModelFamily;

/**
 * Layer-fusion checkpoints written with {@link LayerFusionCheckpoint#write} load through {@link Detector} (family
 * detected from the keys, config.json beside the weights) and score exactly as the in-memory model, from an encoder
 * in fairseq names under SSL-AASIST's prefix and from a bare Hugging Face (post-LN) encoder.
 */
class LayerFusionCheckpointTest {
    @TempDir
    Path dir;

    private static final Path HF_POST_LN = Path.of("src/test/resources/fixtures/wav2vec2/post_ln/model/model.safetensors");

    @Test
    void writtenCheckpointScoresAsTheModelInMemory() throws Exception {
        LayerFusionConfig config = new LayerFusionConfig(1, 2, Activation.GELU, 0.1, 0);
        Path file = dir.resolve("mini/model.safetensors");
        float[] clip = org.sdd4j.audio.AudioReader.read(SharedFixtures.audio("espeak_1.wav")).samples();
        float[] expected;
        try (Arena arena = Arena.ofShared(); Backend backend = Backends.cpu(2);
             StateDict mini = Checkpoints.open(SharedFixtures.root().resolve("fixtures/reference/ssl_aasist_mini.pth"))) {
            StateDict sd = LayerFusionCheckpoint.create(mini, config, 12, new SplittableRandom(3), arena);
            assertTrue(sd.keys().stream().noneMatch(k -> k.contains("quantizer") || k.contains("mask_emb")),
                    "pretraining-only tensors are left out: " + sd.keys());
            LayerFusionCheckpoint.write(file, sd.tensors(), config);
            expected = logits(new LayerFusionFfn(sd, config), backend, clip);
        }
        try (Detector d = Detector.load(file)) {
            assertEquals(ModelFamily.LAYER_FUSION, d.family());
            assertEquals(config, ((LayerFusionFfn) d.model()).config());
            Score s = d.score(clip, 16_000);
            assertEquals(expected[0], s.spoofLogit(), 1e-6f);
            assertEquals(expected[1], s.bonafideLogit(), 1e-6f);
        }

        // Without config.json the fused layers are unknown (three logits, not EnvSSLAM-FFN's six): refused, and an
        // explicit --config restores it.
        Path config2 = dir.resolve("fusion.json");
        Files.move(file.resolveSibling("config.json"), config2);
        var e = assertThrows(CheckpointException.class, () -> Detector.load(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("config.json"), e.getMessage());
        try (Detector d = Detector.load(file, DetectorOptions.defaults().withConfig(config2))) {
            assertEquals(expected[1], d.score(clip, 16_000).bonafideLogit(), 1e-6f);
        }
    }

    @Test
    void aBareHuggingFaceEncoderBecomesALayerFusionCheckpoint() throws Exception {
        LayerFusionConfig config = new LayerFusionConfig(0, 2, Activation.RELU, 0.0, 0);
        Path file = dir.resolve("hf/model.safetensors");
        try (Arena arena = Arena.ofShared(); StateDict hf = Checkpoints.open(HF_POST_LN)) {
            assertEquals("", LayerFusionCheckpoint.encoderPrefix(hf));
            StateDict sd = LayerFusionCheckpoint.create(hf, config, 8, new SplittableRandom(4), arena);
            assertTrue(sd.contains("ssl_model.model.feature_extractor.conv_layers.0.conv.weight"), "HF names kept");
            LayerFusionCheckpoint.write(file, sd.tensors(), config);
        }
        float[] clip = new float[12_000];
        for (int i = 0; i < clip.length; i++) {
            clip[i] = (float) (0.2 * Math.sin(i * 0.05) + 0.01 * Math.cos(i * 1.3));
        }
        try (Detector d = Detector.load(file)) {
            assertEquals(ModelFamily.LAYER_FUSION, d.family());
            assertEquals(3, d.model().parameterCount() - encoderParameters(d) - 8 * 64 - 8 - 2 * 8 - 2, "fusion logits");
            assertTrue(Double.isFinite(d.score(clip, 16_000).score()));
        }
    }

    private static long encoderParameters(Detector d) {
        try (StateDict hf = Checkpoints.open(HF_POST_LN)) {
            return hf.tensors().entrySet().stream().filter(e -> !e.getKey().equals("masked_spec_embed"))
                    .mapToLong(e -> e.getValue().numel()).sum();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static float[] logits(SpoofModel model, Backend backend, float[] samples) {
        float[] x = model.input().prepare(samples);
        try (Ops ops = new Ops(backend)) {
            Tensor l = model.logits(ops, Tensor.of(ops.arena(), x, 1, x.length));
            return new float[] {l.getFloat(0), l.getFloat(1)};
        }
    }
}
