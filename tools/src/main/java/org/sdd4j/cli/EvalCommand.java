package org.sdd4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.sdd4j.metrics.AsvScoreSet;
import org.sdd4j.metrics.EvalReport;
import org.sdd4j.metrics.Plots;
import org.sdd4j.metrics.ScoreFiles;
import org.sdd4j.metrics.ScoreSet;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sdd4j eval}: ASVspoof metrics of a score file against its keys. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Computes detection metrics of scores against keys, as the official ASVspoof evaluation code does.", ""},
        footer = {"",
            "Metrics (bona fide is the positive class; higher scores mean bona fide):",
            "  - minDCF, actDCF (scores read as LLRs), Cllr (bits), EER: ASVspoof 5",
            "    Track 1 with Pspoof 0.05, Cmiss 1, Cfa 10;",
            "  - accuracy, balanced accuracy, F1 at --threshold (default: the EER",
            "    threshold, which is fitted on these scores; pass 0 for logits/LLRs);",
            "  - with --asv-scores: min t-DCF with the ASVspoof 2019 and 2021 cost",
            "    models, the ASV at its own EER threshold;",
            "  - with an ASVspoof 5 Track 2 score file: a-DCF, min t-DCF (organisers'",
            "    ASV error rates, as the official package) and t-EER.",
            "",
            "Formats (tab- or space-separated; see ScoreFiles):",
            "  scores  'filename cm-score' with header (ASVspoof 5), 'UTT SCORE' or",
            "          'UTT ATTACK KEY SCORE' (2019/2021), or the Track 2 file",
            "          'spk filename cm-score asv-score sasv-score' with header;",
            "  keys    'filename cm-label' with header, a 2019/2021 CM protocol",
            "          'SPEAKER UTT - ATTACK KEY', or 'spk filename cm-label asv-label';",
            "  ASV     'SOURCE KEY SCORE' (2019; KEY target/nontarget/spoof).",
            "",
            "--plot DIR writes det.svg, det.png, hist.svg and hist.png."})
final class EvalCommand implements Callable<Integer> {
    enum Format { text, json }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--scores", paramLabel = "FILE", required = true, description = "Score file.")
    Path scores;

    @Option(names = "--keys", paramLabel = "FILE", required = true, description = "Key file or CM protocol.")
    Path keys;

    @Option(names = "--asv-scores", paramLabel = "FILE", description = "ASV scores with keys, for min t-DCF.")
    Path asvScores;

    @Option(names = "--format", paramLabel = "text|json", description = "Output format. Default: ${DEFAULT-VALUE}.")
    Format format = Format.text;

    @Option(names = "--threshold", paramLabel = "T",
            description = "Decision threshold for accuracy, balanced accuracy and F1. Default: the EER threshold.")
    Double threshold;

    @Option(names = "--plot", paramLabel = "DIR", description = "Write the DET curve and score histograms here.")
    Path plot;

    @Override
    public Integer call() throws Exception {
        for (Path p : asvScores == null ? new Path[] {scores, keys} : new Path[] {scores, keys, asvScores}) {
            if (!Files.isRegularFile(p)) {
                throw new UsageException("file not found: " + p);
            }
        }
        ScoreFiles.SasvTrials sasv = null;
        ScoreSet cm;
        if (ScoreFiles.isSasvScoreFile(scores)) {
            sasv = ScoreFiles.readSasv(scores, keys);
            cm = sasv.cm();
        } else {
            cm = ScoreFiles.readCm(scores, keys);
        }
        AsvScoreSet asv = asvScores != null ? ScoreFiles.readAsv(asvScores) : null;
        if (asv != null && cm == null) {
            throw new UsageException("--asv-scores needs CM scores, but " + scores + " has none");
        }
        EvalReport report = EvalReport.of(cm, asv, sasv, threshold);
        spec.commandLine().getOut().print(format == Format.json ? report.toJson() : report.toText());
        if (plot != null) {
            if (cm == null) {
                throw new UsageException("--plot needs CM scores, but " + scores + " has none");
            }
            Plots.write(plot, cm);
        }
        spec.commandLine().getOut().flush();
        return Main.OK;
    }
}
