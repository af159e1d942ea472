package org.sdd4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.Tensor;

/**
 * End-to-end supervised training on a generated two-class set with a small AASIST: the run writes its
 * log, plots and checkpoints, the loss falls, and a run killed half-way and resumed ends where an unbroken
 * run ends.
 */
class SftTrainerTest {
    @TempDir
    Path dir;

    private Path dataset() throws IOException {
        TinyTrainingSet.writeTinyAasistConf(dir);
        return TinyTrainingSet.write(dir, 3);
    }

    private Path config(String output, int maxSteps) throws IOException {
        Path c = dir.resolve(output + ".json");
        Files.writeString(c, """
                {"model": {"family": "aasist", "config": "tiny.conf"},
                 "data": {"train": {"format": "list", "protocol": "list.tsv"},
                          "validation": {"format": "list", "protocol": "list.tsv"}},
                 "optimizer": {"name": "adamw", "lr": 0.001, "weight_decay": 0.01, "clip_norm": 100},
                 "schedule": {"name": "cosine", "lr_min": 0.0001},
                 "class_weights": [0.5, 0.5], "batch_size": 4, "epochs": 2, "max_steps": %d,
                 "crop": 8000, "seed": 11, "threads": 2, "workers": 2, "output": "%s", "checkpoint_every": 2}
                """.formatted(maxSteps, output));
        return c;
    }

    @Test
    void trainsLogsCheckpointsAndResumesToTheSameWeights() throws Exception {
        dataset();
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Path full = new Trainer(TrainConfig.load(config("full", 8)), quiet).run(false);
        Path run = dir.resolve("full");
        List<String> log = Files.readAllLines(run.resolve("log.jsonl"));
        assertEquals(8 + 2, log.size(), "8 steps and 2 validations: " + log);
        assertTrue(Files.size(run.resolve("plots/loss.png")) > 0 && Files.exists(run.resolve("plots/validation_eer.svg")));
        assertTrue(Files.exists(full.resolve("model.safetensors")) && Files.exists(full.resolve("config.json")));

        // A run killed after step 3 (its last checkpoint is step 2) and resumed to the end.
        new Trainer(TrainConfig.load(config("split", 8)), quiet).run(false, 3);
        assertThrows(IllegalStateException.class,
                () -> new Trainer(TrainConfig.load(config("split", 8)), quiet).run(false), "needs --resume");
        Path resumed = new Trainer(TrainConfig.load(config("split", 8)), quiet).run(true);
        try (StateDict a = Checkpoints.open(full.resolve("model.safetensors"));
             StateDict b = Checkpoints.open(resumed.resolve("model.safetensors"))) {
            double worst = 0;
            for (String k : a.keys()) {
                Tensor x = a.require(k), y = b.require(k);
                for (long i = 0; i < x.numel(); i++) {
                    worst = Math.max(worst, Math.abs(x.getAsDouble(i) - y.getAsDouble(i)));
                }
            }
            assertEquals(0.0, worst, "resumed run differs from the unbroken one");
        }
    }
}
