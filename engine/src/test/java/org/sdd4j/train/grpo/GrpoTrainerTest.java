package org.sdd4j.train.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.train.TinyTrainingSet;
import org.sdd4j.train.TrainConfig;
import org.sdd4j.train.Trainer;

/**
 * GRPO end to end on a tiny AASIST and a generated two-class set: the log carries the GRPO statistics, the
 * ratio is exactly 1 right after each old-policy refresh and the KL exactly 0 on the first step (the frozen
 * passes see the same batch, dropout and normalisation as the policy), a run killed between refreshes and
 * resumed ends bit-identical to an unbroken one, beta 0 allocates no reference, and SFT -> GRPO chains stages.
 */
class GrpoTrainerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private void dataset() throws IOException {
        TinyTrainingSet.write(dir, 3);
        TinyTrainingSet.writeTinyAasistConf(dir);
    }

    /** A GRPO config; {@code grpo} is the body of its grpo block. */
    private Path config(String output, int maxSteps, String grpo) throws IOException {
        Path c = dir.resolve(output + ".yaml");
        Files.writeString(c, """
                model: { family: aasist, config: tiny.conf }
                data: { train: { format: list, protocol: list.tsv } }
                method: grpo
                grpo: { %s }
                optimizer: { lr: 0.001 }
                augmentation: { rawboost: 0 }
                batch_size: 4
                epochs: 3
                max_steps: %d
                crop: 8000
                seed: 11
                threads: 2
                workers: 1
                output: %s
                checkpoint_every: 2
                """.formatted(grpo, maxSteps, output));
        return c;
    }

    private static List<JsonNode> steps(Path run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("log.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.path("type").asText().equals("step")) {
                out.add(n);
            }
        }
        return out;
    }

    @Test
    void grpoRunLogsItsStatisticsAndResumesBitIdentically() throws Exception {
        dataset();
        String grpo = "group_size: 8, old_policy_refresh: 3, kl_weight: 0.04";
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        Path full = new Trainer(TrainConfig.load(config("full", 6, grpo)), new PrintStream(text, true)).run(false);
        String log = text.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("GRPO memory: policy weights") && log.contains("frozen copies: 2 of"), log);
        assertTrue(log.contains("activations peak"), log);
        List<JsonNode> steps = steps(dir.resolve("full"));
        assertEquals(6, steps.size());
        for (JsonNode s : steps) {
            for (String k : List.of("loss", "grad_norm", "reward_mean", "kl_mean", "clip_fraction", "adv_mean", "adv_std")) {
                assertTrue(s.has(k) && Double.isFinite(s.get(k).asDouble()), "step " + s.get("step") + " lacks " + k);
            }
            assertTrue(s.get("kl_mean").asDouble() >= 0, "k3 KL is never negative");
            assertTrue(s.get("reward_mean").asDouble() >= 0 && s.get("reward_mean").asDouble() <= 1);
        }
        // Steps 1 and 4 follow a refresh (global steps 0 and 3): ratio 1 exactly, nothing clipped.
        for (int i : new int[] {0, 3}) {
            assertEquals(0.0, steps.get(i).get("ratio_max_dev").asDouble(), "ratio after refresh at step " + i);
            assertEquals(0.0, steps.get(i).get("clip_fraction").asDouble());
        }
        assertTrue(steps.get(1).get("ratio_max_dev").asDouble() > 0, "the policy moved, so the old one must differ");
        assertEquals(0.0, steps.get(0).get("kl_mean").asDouble(), "reference == policy at the first step");
        assertTrue(steps.get(5).get("kl_mean").asDouble() > 0, "the policy moved away from the reference");
        assertTrue(Files.exists(dir.resolve("full/plots/reward.svg")));
        assertTrue(Files.exists(dir.resolve("full/checkpoints/step-00000002/old_policy.safetensors")),
                "step 2 lies between refreshes: its checkpoint must hold the old policy");
        assertFalse(Files.exists(dir.resolve("full/checkpoints/step-00000006/old_policy.safetensors")),
                "step 6 is refreshed by the next step: no old policy needed");

        // Killed after step 5 (last checkpoint: step 4, between refreshes at 3 and 6) and resumed.
        new Trainer(TrainConfig.load(config("split", 6, grpo)), quiet()).run(false, 5);
        Path resumed = new Trainer(TrainConfig.load(config("split", 6, grpo)), quiet()).run(true);
        assertEquals(0.0, worstDifference(full, resumed), "resumed GRPO run differs from the unbroken one");
        List<JsonNode> again = steps(dir.resolve("split"));
        assertEquals(steps.get(5).get("loss").asDouble(), again.get(again.size() - 1).get("loss").asDouble());
    }

    @Test
    void accumulatedGrpoStepsCountOptimiserStepsAndResumeBitIdentically() throws Exception {
        dataset();
        String grpo = "group_size: 4, old_policy_refresh: 3";
        Path c = config("accumulated", 3, grpo);
        Files.writeString(c, Files.readString(c) + "accumulate_steps: 2\n");
        Path full = new Trainer(TrainConfig.load(c), quiet()).run(false);
        List<JsonNode> steps = steps(dir.resolve("accumulated"));
        assertEquals(3, steps.size(), "3 optimiser steps of 2 batches each");
        assertEquals(0.0, steps.get(0).get("ratio_max_dev").asDouble(), "both micro-batches see the refreshed policy");
        assertTrue(steps.get(1).get("ratio_max_dev").asDouble() > 0, "the policy moved after step 1; the old one did not");

        Path split = config("accumulated-split", 3, grpo);
        Files.writeString(split, Files.readString(split) + "accumulate_steps: 2\n");
        // Killed after step 3; the last checkpoint (step 2) lies between refreshes, so it holds the old policy.
        new Trainer(TrainConfig.load(split), quiet()).run(false, 3);
        Path resumed = new Trainer(TrainConfig.load(split), quiet()).run(true);
        assertEquals(0.0, worstDifference(full, resumed), "resumed accumulated GRPO run differs from the unbroken one");
    }

    @Test
    void reinforceWithoutKlNeedsNoFrozenCopies() throws Exception {
        dataset();
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        new Trainer(TrainConfig.load(config("reinforce", 2, "variant: reinforce, kl_weight: 0, group_size: 4")),
                new PrintStream(text, true)).run(false);
        String log = text.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("old policy none; reference none (frozen copies: 0"), log);
        List<JsonNode> steps = steps(dir.resolve("reinforce"));
        assertEquals(2, steps.size());
        assertEquals(0.0, steps.get(1).get("kl_mean").asDouble());
        // Loss = -mean(r logp) with r in {0, 1} and logp <= 0 is never negative.
        assertTrue(steps.stream().allMatch(s -> s.get("loss").asDouble() >= 0));
    }

    @Test
    void sftThenGrpoChainsStagesAndSkipsFinishedOnesOnResume() throws Exception {
        dataset();
        Path c = dir.resolve("two.yaml");
        Files.writeString(c, """
                model: { family: aasist, config: tiny.conf }
                data: { train: { format: list, protocol: list.tsv } }
                batch_size: 4
                crop: 8000
                seed: 5
                threads: 2
                workers: 1
                output: two
                checkpoint_every: 0
                stages:
                  - { name: sft, method: sft, max_steps: 2, optimizer: { name: adamw, lr: 0.001 } }
                  - { name: grpo, method: grpo, max_steps: 2, grpo: { group_size: 4 }, augmentation: { rawboost: 0 } }
                """);
        List<TrainConfig> stages = TrainConfig.loadStages(c);
        assertEquals(2, stages.size());
        assertEquals(1e-6, stages.get(1).lr(), "GRPO stage takes the reference optimiser defaults");
        assertEquals(0.01, stages.get(1).weightDecay());
        assertEquals(100, stages.get(1).clipNorm());
        assertEquals(0, stages.get(0).rawBoost(), "the SFT stage keeps the SFT defaults (no RawBoost)");
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        Path last = Trainer.runStages(stages, new PrintStream(text, true), false);
        assertTrue(text.toString(StandardCharsets.UTF_8).contains("stage 2 of 2: grpo from "
                + dir.resolve("two/sft/checkpoints/step-00000002/model.safetensors")), text.toString(StandardCharsets.UTF_8));
        assertTrue(last.startsWith(dir.resolve("two/grpo")), last.toString());
        List<JsonNode> grpo = steps(dir.resolve("two/grpo"));
        assertEquals(2, grpo.size());
        assertTrue(grpo.get(0).has("reward_mean"));
        // The reference is stage 2's start: the first GRPO step sees no KL.
        assertEquals(0.0, grpo.get(0).get("kl_mean").asDouble());
        assertFalse(steps(dir.resolve("two/sft")).get(0).has("reward_mean"));
        // Resuming a finished plan runs nothing.
        Path again = Trainer.runStages(TrainConfig.loadStages(c), quiet(), true);
        assertEquals(last, again);
        assertEquals(2, steps(dir.resolve("two/grpo")).size());
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream());
    }

    private static double worstDifference(Path a, Path b) throws IOException {
        try (StateDict x = Checkpoints.open(a.resolve("model.safetensors"));
             StateDict y = Checkpoints.open(b.resolve("model.safetensors"))) {
            double worst = 0;
            for (String k : x.keys()) {
                Tensor p = x.require(k), q = y.require(k);
                for (long i = 0; i < p.numel(); i++) {
                    worst = Math.max(worst, Math.abs(p.getAsDouble(i) - q.getAsDouble(i)));
                }
            }
            return worst;
        }
    }
}
