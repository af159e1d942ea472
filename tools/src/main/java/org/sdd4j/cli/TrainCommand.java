package org.sdd4j.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.sdd4j.train.Trainer;
import org.sdd4j.train.TrainConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains a detector from a JSON or YAML config (see the README's training section).", "",
            "Writes <output>/log.jsonl (every step and validation), <output>/plots/ (loss and validation EER,",
            "SVG and PNG) and atomic checkpoints <output>/checkpoints/step-N/ (model.safetensors, config.json,",
            "optimizer.safetensors, state.json); score a checkpoint with 'sdd4j score --model .../model.safetensors'.",
            "method: grpo fine-tunes by GRPO (log adds reward, KL, clip fraction and advantage statistics, plots a",
            "reward curve); a 'stages' list runs e.g. SFT then GRPO, each stage in <output>/<stage name>.",
            ""})
final class TrainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", required = true, description = "Training config (.json, .yaml).")
    Path config;

    @Option(names = "--resume", description = "Continue from the newest checkpoint in the output folder.")
    boolean resume;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(config)) {
            throw new UsageException("config not found: " + config);
        }
        java.util.List<TrainConfig> stages;
        try {
            stages = TrainConfig.loadStages(config);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        PrintStream err = System.err;
        Trainer.runStages(stages, err, resume);
        return Main.OK;
    }
}
