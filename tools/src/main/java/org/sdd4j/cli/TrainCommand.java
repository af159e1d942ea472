package org.sdd4j.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.sdd4j.train.SftTrainer;
import org.sdd4j.train.TrainConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains a detector from a JSON or YAML config (see the README's training section).", "",
            "Writes <output>/log.jsonl (every step and validation), <output>/plots/ (loss and validation EER,",
            "SVG and PNG) and atomic checkpoints <output>/checkpoints/step-N/ (model.safetensors, config.json,",
            "optimizer.safetensors, state.json); score a checkpoint with 'sdd4j score --model .../model.safetensors'.",
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
        TrainConfig cfg;
        try {
            cfg = TrainConfig.load(config);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        PrintStream err = System.err;
        new SftTrainer(cfg, err).run(resume);
        return Main.OK;
    }
}
