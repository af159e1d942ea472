package org.sdd4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.sdd4j.zoo.ModelEntry;
import org.sdd4j.zoo.ModelZoo;

/** Where the weights (and config) of {@code --model FILE|NAME} are: a file that exists wins over a zoo name. */
record ModelSource(Path checkpoint, Optional<Path> config) {
    private static final String[] CHECKPOINT_EXTENSIONS = {".pth", ".pt", ".ckpt", ".bin", ".safetensors"};

    /** The detector shipped in the repository (trained by sdd4j itself; models/sdd4j-demo/README.md). */
    static final String DEMO = "sdd4j-demo";

    static ModelSource resolve(String model, Optional<Path> config, PrintWriter err, boolean progress) throws IOException {
        if (model.equals(DEMO)) {
            return demo(config);
        }
        Path file = Path.of(model);
        if (Files.isRegularFile(file)) {
            return new ModelSource(file, config);
        }
        if (Files.isDirectory(file)) {
            throw new UsageException("--model " + model + " is a directory; give the checkpoint file inside it");
        }
        if (looksLikePath(model)) {
            throw new UsageException("model file not found: " + model);
        }
        ModelZoo zoo = new ModelZoo();
        ModelEntry entry;
        try {
            entry = zoo.entry(model);
        } catch (IllegalArgumentException e) {
            throw new UsageException("'" + model + "' is neither a file nor a model name: " + e.getMessage());
        }
        Path weights = pull(zoo, entry, err, progress);
        // The zoo stores the architecture configuration beside the weights for families that need one.
        Path beside = weights.resolveSibling("config.json");
        return new ModelSource(weights, config.isPresent() || !Files.isRegularFile(beside) ? config : Optional.of(beside));
    }

    /** The shipped demo detector, found through the launcher's {@code -Dsdd4j.home}. */
    private static ModelSource demo(Optional<Path> config) {
        String home = System.getProperty("sdd4j.home");
        Path weights = home == null ? null : Path.of(home, "models", DEMO, "model.safetensors");
        if (weights == null || !Files.isRegularFile(weights)) {
            throw new UsageException("the shipped detector '" + DEMO + "' was not found"
                    + (weights == null ? " (run through tools/sdd4j, which sets -Dsdd4j.home)" : " at " + weights)
                    + "; pass --model FILE or a name from 'sdd4j models list'");
        }
        return new ModelSource(weights, config);
    }

    /** Pulls {@code entry} (a no-op when cached and intact), with a progress bar while downloading. */
    static Path pull(ModelZoo zoo, ModelEntry entry, PrintWriter err, boolean progress) throws IOException {
        ProgressBar[] bar = new ProgressBar[1];
        Path path = zoo.pull(entry.name(), (done, total) -> {
            if (progress) {
                if (bar[0] == null) {
                    bar[0] = new ProgressBar(err, "pulling " + entry.name(), total, ProgressBar.Unit.BYTES,
                            ProgressBar.stderrIsTerminal());
                }
                bar[0].update(done);
            }
        });
        if (bar[0] != null) {
            bar[0].finish();
        }
        return path;
    }

    private static boolean looksLikePath(String s) {
        if (s.contains("/") || s.contains("\\")) {
            return true;
        }
        for (String ext : CHECKPOINT_EXTENSIONS) {
            if (s.endsWith(ext)) {
                return true;
            }
        }
        return false;
    }
}
