package org.sdd4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.sdd4j.api.Detector;
import org.sdd4j.api.DetectorOptions;
import org.sdd4j.audio.AudioClip;
import org.sdd4j.audio.AudioFormatException;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.audio.Resampler;
import org.sdd4j.backend.Backend;
import org.sdd4j.drift.DriftReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sdd4j drift}: how far a fine-tuned checkpoint moved from its reference, in weights and representations. */
@Command(name = "drift", mixinStandardHelpOptions = true,
        description = {"Compares a fine-tuned checkpoint with the reference it started from (same architecture).", ""},
        footer = {"",
            "Reports:",
            "  - weight change ||W_to - W_from||_F / ||W_from||_F per tensor and per",
            "    module: a module is a numbered layer (encoder.3, ...encoder.layers.7)",
            "    or a top-level name (GAT_layer_S, out_layer), over its parameters;",
            "  - representation drift on the probe audio (--data), per layer the",
            "    models report (AASIST: front end, residual blocks, graph layers,",
            "    readout; SSL-AASIST: feature extractor, each transformer layer,",
            "    back-end stages, graph layers; AntiDeepfake: feature extractor, each",
            "    transformer layer, pooled output): each utterance's layer output is",
            "    mean-pooled over time (feature maps, frames) or nodes (graph layers),",
            "    then compared as the mean cosine between the two models' vectors",
            "    and as linear CKA over the probe set (1: the same representation up",
            "    to rotation and scale; needs at least two utterances).",
            "",
            "--data takes what 'sdd4j score' takes as one INPUT: an audio file, a",
            "folder (searched recursively) or a list file (e.g. path<TAB>label lines).",
            "--out DIR writes weight_change.svg/.png and representation.svg/.png.",
            "Exit code 2 when some probe files could not be read (the rest are used)."})
final class DriftCommand implements Callable<Integer> {
    enum Format { text, json }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--from", paramLabel = "CKPT", required = true, description = "The reference checkpoint.")
    Path from;

    @Option(names = "--to", paramLabel = "CKPT", required = true, description = "The fine-tuned checkpoint.")
    Path to;

    @Option(names = "--data", paramLabel = "LIST", required = true,
            description = "Probe audio: a list file, a folder or an audio file.")
    String data;

    @Option(names = "--out", paramLabel = "DIR", description = "Write the plots here.")
    Path out;

    @Option(names = "--max", paramLabel = "N", description = "Use at most the first N probe utterances.")
    Integer max;

    @Option(names = "--format", paramLabel = "text|json", description = "Output format. Default: ${DEFAULT-VALUE}.")
    Format format = Format.text;

    @Option(names = "--batch", paramLabel = "N", description = "Utterances per forward pass. Default: ${DEFAULT-VALUE}.")
    int batch = 4;

    @Option(names = "--threads", paramLabel = "N", description = "Compute threads. Default: the available processors.")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        for (Path p : new Path[] {from, to}) {
            if (!Files.isRegularFile(p)) {
                throw new UsageException("checkpoint not found: " + p);
            }
        }
        if (max != null && max < 1) {
            throw new UsageException("--max must be at least 1, was " + max);
        }
        if (batch < 1) {
            throw new UsageException("--batch must be at least 1, was " + batch);
        }
        if (threads != null && threads < 1) {
            throw new UsageException("--threads must be at least 1, was " + threads);
        }
        PrintWriter err = spec.commandLine().getErr();
        List<Inputs.Item> items = Inputs.resolve(List.of(data));
        List<float[]> utterances = new ArrayList<>();
        int failed = 0;
        for (Inputs.Item item : items) {
            if (max != null && utterances.size() == max) {
                break;
            }
            String problem = item.error();
            if (problem == null) {
                try {
                    AudioClip clip = Resampler.resample(AudioReader.read(item.file()), Detector.SAMPLE_RATE);
                    if (clip.length() > 0) {
                        utterances.add(clip.samples());
                        continue;
                    }
                    problem = "no audio samples";
                } catch (AudioFormatException e) {
                    problem = e.problem();
                } catch (NoSuchFileException e) {
                    problem = "file not found";
                } catch (IOException e) {
                    problem = Main.oneLine(e);
                }
            }
            failed++;
            err.println("sdd4j: cannot read " + item.name() + ": " + problem);
        }
        if (utterances.isEmpty()) {
            throw new UsageException("no readable audio in " + data);
        }
        if (utterances.size() < 2) {
            err.println("sdd4j: only one probe utterance: linear CKA is undefined, cosine is still reported");
        }
        boolean interactive = ProgressBar.stderrIsTerminal();
        ProgressBar bar = interactive || utterances.size() > 20
                ? new ProgressBar(err, "probing", 2L * utterances.size(), ProgressBar.Unit.FILES, interactive) : null;
        DriftReport report;
        try (Backend backend = Detector.createBackend(threads != null ? threads : DetectorOptions.defaults().threads())) {
            report = DriftReport.measure(from, to, utterances, backend, batch, bar == null ? null : bar::update);
        }
        if (bar != null) {
            bar.finish();
        }
        spec.commandLine().getOut().print(format == Format.json ? report.toJson() : report.toText());
        spec.commandLine().getOut().flush();
        if (out != null) {
            report.writePlots(out);
        }
        return failed > 0 ? Main.PARTIAL : Main.OK;
    }
}
