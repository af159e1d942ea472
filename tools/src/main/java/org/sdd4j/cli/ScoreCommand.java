package org.sdd4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.sdd4j.api.Detector;
import org.sdd4j.api.DetectorOptions;
import org.sdd4j.api.Score;
import org.sdd4j.audio.AudioClip;
import org.sdd4j.audio.AudioFormatException;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.audio.Resampler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sdd4j score}: scores audio files and writes an ASVspoof-style score file. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = {"Scores audio with a detector: higher scores mean more likely bona fide.", ""},
        footer = {"",
            "INPUT is any mix of:",
            "  - audio files: WAV or FLAC, any sample rate (resampled to 16 kHz),",
            "    mixed to mono; reported under the path as given;",
            "  - directories: every audio file under them, recursively (.wav, .flac",
            "    and other audio extensions; formats sdd4j cannot decode are",
            "    reported as such);",
            "  - list files (.txt .lst .list .scp .csv .tsv .protocol), one input a",
            "    line; blank lines and lines starting with # are skipped:",
            "    * a line naming an existing file (absolute, or relative to the",
            "      list's folder) is scored under that name;",
            "    * otherwise the first field (comma-separated in .csv, else space-",
            "      separated) that names a file, or that is an utterance id with a",
            "      .flac/.wav file in the list's folder or its flac/ or wav/",
            "      subfolder, is scored under the file's name without folder and",
            "      extension. This reads ASVspoof 2019/2021 protocols (SPEAKER",
            "      UTT_ID - ATTACK KEY), ASVspoof 5 protocols (SPEAKER FILE ...)",
            "      and Kaldi .scp files (KEY PATH);",
            "    * a first line that resolves to nothing is taken as a header.",
            "",
            "Output: tab-separated with the header 'filename<TAB>cm-score' (the",
            "ASVspoof 5 score-file format), or JSON lines with the same fields.",
            "Inputs that cannot be scored are reported on stderr (and as an",
            "'error' field in JSON lines) and the others are still scored; the",
            "exit code is then 2."})
final class ScoreCommand implements Callable<Integer> {
    enum Emit { logits }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE|NAME", defaultValue = ModelSource.DEMO,
            description = "Checkpoint file, or a model name from 'sdd4j models list' (pulled on first use). Default: ${DEFAULT-VALUE},"
                    + " the small demo detector sdd4j trained itself (models/sdd4j-demo).")
    String model;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Architecture config: an official AASIST .conf or sdd4j's JSON. Default: inferred from the weights.")
    Path config;

    @Option(names = "--batch", paramLabel = "N", description = "Utterances per forward pass. Default: ${DEFAULT-VALUE}.")
    int batch = DetectorOptions.DEFAULT_BATCH_SIZE;

    @Option(names = "--threads", paramLabel = "N", description = "Compute threads. Default: the available processors.")
    Integer threads;

    @Option(names = "--format", paramLabel = "tsv|jsonl", description = "Output format. Default: ${DEFAULT-VALUE}.")
    ScoreWriter.Format format = ScoreWriter.Format.tsv;

    @Option(names = "--emit", paramLabel = "logits", description = "Extra columns: 'logits' adds logit0 (spoof) and logit1 (bona fide).")
    List<Emit> emit = new ArrayList<>();

    @Option(names = "--threshold", paramLabel = "T",
            description = "Adds a decision column: bonafide when the score is >= T, else spoof.")
    Double threshold;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write scores here instead of stdout.")
    Path output;

    @Option(names = "--progress", negatable = true,
            description = "Show a progress bar on stderr. Default: when stderr is a terminal or there are more than 20 inputs.")
    Boolean progress;

    @Parameters(paramLabel = "INPUT", arity = "1..*", description = "Audio files, directories or list files (see below).")
    List<String> inputs;

    @Override
    public Integer call() throws Exception {
        if (batch < 1) {
            throw new UsageException("--batch must be at least 1, was " + batch);
        }
        if (threads != null && threads < 1) {
            throw new UsageException("--threads must be at least 1, was " + threads);
        }
        if (output != null && output.toAbsolutePath().getParent() != null && !Files.isDirectory(output.toAbsolutePath().getParent())) {
            throw new UsageException("--output " + output + ": folder " + output.toAbsolutePath().getParent() + " does not exist");
        }
        PrintWriter err = spec.commandLine().getErr();
        List<Inputs.Item> items = Inputs.resolve(inputs);
        if (items.isEmpty()) {
            throw new UsageException("no audio found in " + String.join(" ", inputs));
        }
        boolean interactive = ProgressBar.stderrIsTerminal();
        boolean showProgress = progress != null ? progress : interactive || items.size() > 20;

        ModelSource source = ModelSource.resolve(model, Optional.ofNullable(config), err, showProgress);
        DetectorOptions options = DetectorOptions.defaults().withBatchSize(batch);
        if (threads != null) {
            options = options.withThreads(threads);
        }
        if (source.config().isPresent()) {
            options = options.withConfig(source.config().get());
        }
        try (Detector detector = Detector.load(source.checkpoint(), options);
             Writer sink = output != null ? Files.newBufferedWriter(output, StandardCharsets.UTF_8)
                     : new NonClosingWriter(spec.commandLine().getOut())) {
            ScoreWriter writer = new ScoreWriter(sink, format, emit.contains(Emit.logits), threshold);
            ProgressBar bar = showProgress ? new ProgressBar(err, "scoring", items.size(), ProgressBar.Unit.FILES, interactive) : null;
            int failed = new Run(detector, writer, err, bar, batch).score(items);
            if (bar != null) {
                bar.finish();
            }
            if (failed > 0) {
                err.println("sdd4j: " + failed + " of " + items.size() + " inputs could not be scored");
                return Main.PARTIAL;
            }
            return Main.OK;
        }
    }

    /** One scoring run: audio is decoded on a reader thread while the detector computes the previous batch. */
    private static final class Run {
        /** A decoded (or failed) input, in input order. */
        private record Loaded(Inputs.Item item, float[] samples, String error) {
        }

        private static final Loaded END = new Loaded(null, null, null);

        private final Detector detector;
        private final ScoreWriter writer;
        private final PrintWriter err;
        private final ProgressBar bar;
        private final int batch;
        private int done;
        private int failed;

        Run(Detector detector, ScoreWriter writer, PrintWriter err, ProgressBar bar, int batch) {
            this.detector = detector;
            this.writer = writer;
            this.err = err;
            this.bar = bar;
            this.batch = batch;
        }

        int score(List<Inputs.Item> items) throws IOException, InterruptedException {
            writer.header();
            // Two batches in flight: the one being computed and the next, already decoded.
            BlockingQueue<Loaded> queue = new ArrayBlockingQueue<>(2 * batch);
            AtomicReference<Throwable> readerFailure = new AtomicReference<>();
            Thread reader = Thread.ofPlatform().daemon().name("sdd4j-audio-reader").start(() -> {
                try {
                    try {
                        for (Inputs.Item item : items) {
                            queue.put(load(item));
                        }
                    } catch (RuntimeException | Error e) {
                        readerFailure.set(e); // e.g. out of memory on a huge file: stop rather than hang
                    }
                    queue.put(END);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                List<Loaded> chunk = new ArrayList<>(batch);
                for (Loaded next = queue.take(); ; next = queue.take()) {
                    if (next != END) {
                        chunk.add(next);
                    }
                    if (chunk.size() == batch || (next == END && !chunk.isEmpty())) {
                        process(chunk);
                        chunk.clear();
                    }
                    if (next == END) {
                        if (readerFailure.get() != null) {
                            throw new IOException("reading audio failed: " + Main.oneLine(readerFailure.get()),
                                    readerFailure.get());
                        }
                        return failed;
                    }
                }
            } finally {
                reader.interrupt();
            }
        }

        /** Decodes and resamples on the reader thread; failures become entries, not exceptions. */
        private static Loaded load(Inputs.Item item) {
            if (item.error() != null) {
                return new Loaded(item, null, item.error());
            }
            try {
                AudioClip clip = Resampler.resample(AudioReader.read(item.file()), Detector.SAMPLE_RATE);
                if (clip.length() == 0) {
                    return new Loaded(item, null, "no audio samples");
                }
                return new Loaded(item, clip.samples(), null);
            } catch (AudioFormatException e) {
                return new Loaded(item, null, e.problem());
            } catch (NoSuchFileException e) {
                return new Loaded(item, null, "file not found");
            } catch (IOException | RuntimeException e) {
                return new Loaded(item, null, Main.oneLine(e));
            }
        }

        private void process(List<Loaded> chunk) throws IOException {
            List<Loaded> good = chunk.stream().filter(l -> l.error() == null).toList();
            List<Score> scores = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            try {
                scores.addAll(detector.scoreBatch(good.stream().map(Loaded::samples).toList(), Detector.SAMPLE_RATE));
                good.forEach(g -> errors.add(null));
            } catch (RuntimeException batchFailure) {
                // Find the culprit: score one at a time so that one bad input does not sink the batch.
                scores.clear();
                for (Loaded g : good) {
                    try {
                        scores.add(detector.score(g.samples(), Detector.SAMPLE_RATE));
                        errors.add(null);
                    } catch (RuntimeException e) {
                        scores.add(null);
                        errors.add(Main.oneLine(e));
                    }
                }
            }
            int k = 0;
            for (Loaded l : chunk) {
                String error = l.error();
                Score s = null;
                if (error == null) {
                    s = scores.get(k);
                    error = errors.get(k);
                    k++;
                }
                if (error == null) {
                    writer.score(l.item().name(), s);
                } else {
                    failed++;
                    writer.error(l.item().name(), error);
                    String line = "sdd4j: cannot score " + l.item().name() + ": " + error;
                    if (bar != null) {
                        bar.message(line);
                    } else {
                        err.println(line);
                    }
                }
            }
            writer.flush();
            done += chunk.size();
            if (bar != null) {
                bar.update(done);
            }
        }
    }

    /** stdout belongs to the caller: the try-with-resources flushes it but must not close it. */
    private static final class NonClosingWriter extends Writer {
        private final Writer out;

        NonClosingWriter(Writer out) {
            this.out = out;
        }

        @Override
        public void write(char[] buf, int off, int len) throws IOException {
            out.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
