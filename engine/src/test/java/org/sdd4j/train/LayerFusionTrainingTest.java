package org.sdd4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdd4j.api.Detector;
import org.sdd4j.api.Score;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.data.Seeds;
import org.sdd4j.model.SharedFixtures;
import org.sdd4j.model.ssl.LayerFusionCheckpoint;
import org.sdd4j.model.ssl.LayerFusionConfig;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.zoo.ModelFamily;

/**
 * {@code sdd4j train} of a layer-fusion head over the frozen mini encoder, with gradient accumulation (3 batches of
 * 2 per step, so each epoch's last step takes 2): only the head changes, a run killed and resumed ends bit-identical
 * to an unbroken one, and the written checkpoint scores through {@link Detector}.
 */
class LayerFusionTrainingTest {
    @TempDir
    Path dir;

    private Path config(String output) throws IOException {
        Path c = dir.resolve(output + ".yaml");
        Files.writeString(c, """
                model: { family: layer-fusion, encoder: "%s", layers: [1, 2], hidden: 8, activation: relu }
                data:
                  train: { format: list, protocol: list.tsv }
                  validation: { format: list, protocol: list.tsv }
                optimizer: { name: adamw, lr: 0.001, weight_decay: 0.01, clip_norm: 100 }
                schedule: { name: cosine, lr_min: 0.0001 }
                class_weights: [0.1, 0.9]
                batch_size: 2
                accumulate_steps: 3
                epochs: 2
                crop: 8000
                seed: 5
                threads: 2
                workers: 2
                output: %s
                checkpoint_every: 2
                """.formatted(SharedFixtures.root().resolve("fixtures/reference/ssl_aasist_mini.pth"), output));
        return c;
    }

    private void dataset() throws IOException {
        TinyTrainingSet.write(dir, 7);
    }

    @Test
    void trainsOnlyTheHeadResumesBitIdenticalAndScores() throws Exception {
        dataset();
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Path full = new Trainer(TrainConfig.load(config("full")), quiet).run(false);
        List<String> log = Files.readAllLines(dir.resolve("full/log.jsonl"));
        // 8 batches of 2 per epoch in steps of 3, 3, 2 batches: 3 optimiser steps per epoch, and 2 validations.
        assertEquals(6, log.stream().filter(l -> l.contains("\"type\":\"step\"")).count(), String.join("\n", log));
        assertEquals(2, log.stream().filter(l -> l.contains("\"type\":\"validation\"")).count());
        assertTrue(full.endsWith("step-00000006"), full.toString());

        try (Arena arena = Arena.ofShared();
             StateDict mini = Checkpoints.open(SharedFixtures.root().resolve("fixtures/reference/ssl_aasist_mini.pth"));
             StateDict trained = Checkpoints.open(full.resolve("model.safetensors"))) {
            LayerFusionConfig fusion = new LayerFusionConfig(1, 2, org.sdd4j.backend.Activation.RELU, 0.1, 8000);
            StateDict initial = LayerFusionCheckpoint.create(mini, fusion, 8, Seeds.forItem(5, -1, 0), arena);
            assertEquals(initial.keys(), trained.keys(), "checkpoint layout");
            for (String k : initial.keys()) {
                boolean same = equal(initial.require(k), trained.require(k));
                assertEquals(k.startsWith("ssl_model.model."), same, k + (same ? " unchanged" : " changed"));
            }
        }

        // Killed after step 4 (last checkpoint: step 4, the middle of epoch 2), resumed to the end.
        new Trainer(TrainConfig.load(config("split")), quiet).run(false, 4);
        Path resumed = new Trainer(TrainConfig.load(config("split")), quiet).run(true);
        try (StateDict a = Checkpoints.open(full.resolve("model.safetensors"));
             StateDict b = Checkpoints.open(resumed.resolve("model.safetensors"))) {
            for (String k : a.keys()) {
                assertTrue(equal(a.require(k), b.require(k)), "resumed run differs from the unbroken one at " + k);
            }
        }

        try (Detector d = Detector.load(full.resolve("model.safetensors"))) {
            assertEquals(ModelFamily.LAYER_FUSION, d.family());
            assertEquals(8000, d.model().input().fixedLength(), "input length from config.json");
            Score bona = d.score(dir.resolve("u0.wav")), spoof = d.score(dir.resolve("u1.wav"));
            assertTrue(Double.isFinite(bona.score()) && Double.isFinite(spoof.score()));
            assertEquals(bona.bonafideLogit(), bona.score(), 0.0, "the score is the bona fide logit");
        }
    }

    @Test
    void aLayerRangeTheEncoderLacksIsRefusedWithTheFile() throws Exception {
        dataset();
        Path c = config("deep");
        Files.writeString(c, Files.readString(c).replace("layers: [1, 2]", "layers: [4, 9]"));
        var e = assertThrows(org.sdd4j.checkpoint.CheckpointException.class,
                () -> new Trainer(TrainConfig.load(c), new PrintStream(new ByteArrayOutputStream())).run(false));
        assertTrue(e.getMessage().contains("ssl_aasist_mini.pth") && e.getMessage().contains("0..2"), e.getMessage());
    }

    private static boolean equal(Tensor a, Tensor b) {
        assertArrayEquals(a.shape(), b.shape());
        for (long i = 0; i < a.numel(); i++) {
            if (Float.floatToRawIntBits(a.getFloat(i)) != Float.floatToRawIntBits(b.getFloat(i))) {
                return false;
            }
        }
        return true;
    }
}
