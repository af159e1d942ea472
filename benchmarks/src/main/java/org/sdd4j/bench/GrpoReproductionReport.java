package org.sdd4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import org.sdd4j.metrics.Eer;
import org.sdd4j.metrics.Plots;
import org.sdd4j.metrics.SampleStats;
import org.sdd4j.metrics.ScoreFiles;
import org.sdd4j.metrics.ScoreSet;

/**
 * Summarises the GRPO reproduction that benchmarks/grpo/run.sh runs: EER per fine-tuning method, seed and test set,
 * the mean and sample standard deviation over seeds as a Markdown table, and one DET chart per test set comparing
 * the methods (each method's first seed, beside the starting detector).
 *
 * <pre>
 * java ... org.sdd4j.bench.GrpoReproductionReport OUT METHOD,... SEED,... SPLIT,...
 * </pre>
 * reads {@code OUT/keys/SPLIT.keys}, {@code OUT/base/scores/SPLIT.scores} and
 * {@code OUT/METHOD/seedSEED/scores/SPLIT.scores}; writes {@code OUT/report.md} and {@code OUT/plots/}.
 */
public final class GrpoReproductionReport {
    private GrpoReproductionReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: GrpoReproductionReport OUT METHOD,... SEED,... SPLIT,...");
            System.exit(1);
        }
        Path out = Path.of(args[0]);
        List<String> methods = List.of(args[1].split(",")), seeds = List.of(args[2].split(",")),
                splits = List.of(args[3].split(","));
        StringBuilder md = new StringBuilder();
        md.append("| method | ").append(String.join(" | ", splits.stream().map(s -> s + " EER (%)").toList()))
                .append(" |\n|---|").append("---:|".repeat(splits.size())).append('\n');
        md.append("| start (no fine-tuning) |");
        for (String split : splits) {
            md.append(String.format(Locale.ROOT, " %.2f |", 100 * eer(out.resolve("base"), out, split)));
        }
        md.append('\n');
        StringBuilder perSeed = new StringBuilder("| method | seed | ")
                .append(String.join(" | ", splits)).append(" |\n|---|---:|").append("---:|".repeat(splits.size()))
                .append('\n');
        for (String method : methods) {
            md.append("| ").append(method).append(" |");
            List<double[]> bySplit = new ArrayList<>();
            for (String split : splits) {
                double[] e = new double[seeds.size()];
                for (int k = 0; k < seeds.size(); k++) {
                    e[k] = 100 * eer(out.resolve(method).resolve("seed" + seeds.get(k)), out, split);
                }
                bySplit.add(e);
                // A single seed has no spread: its std is written as 0.
                md.append(String.format(Locale.ROOT, " %.2f ± %.2f |", SampleStats.mean(e),
                        e.length < 2 ? 0 : SampleStats.std(e)));
            }
            md.append('\n');
            for (int k = 0; k < seeds.size(); k++) {
                perSeed.append("| ").append(method).append(" | ").append(seeds.get(k)).append(" |");
                for (double[] e : bySplit) {
                    perSeed.append(String.format(Locale.ROOT, " %.2f |", e[k]));
                }
                perSeed.append('\n');
            }
        }
        for (String split : splits) {
            LinkedHashMap<String, ScoreSet> systems = new LinkedHashMap<>();
            systems.put("start", scores(out.resolve("base"), out, split));
            for (String method : methods) {
                systems.put(method + " seed " + seeds.get(0),
                        scores(out.resolve(method).resolve("seed" + seeds.get(0)), out, split));
            }
            Plots.writeDetComparison(out.resolve("plots"), "det_" + split, "DET, " + split, systems);
        }
        String report = "EER, mean ± sample std over seeds " + String.join(", ", seeds) + ":\n\n" + md
                + "\nPer seed (EER %):\n\n" + perSeed;
        Files.writeString(out.resolve("report.md"), report);
        System.out.print(report);
    }

    private static ScoreSet scores(Path run, Path out, String split) throws IOException {
        return ScoreFiles.readCm(run.resolve("scores").resolve(split + ".scores"),
                out.resolve("keys").resolve(split + ".keys"));
    }

    private static double eer(Path run, Path out, String split) throws IOException {
        return Eer.of(scores(run, out, split)).rate();
    }
}
