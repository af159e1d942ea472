package org.sdd4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * the methods (each method's first seed, beside the starting detector). When every run has the {@code drift.json}
 * of {@code sdd4j drift --format json} against the start, also a drift table (relative weight change; cosine and
 * linear CKA of the last two named layers, mean ± std over seeds) and a chart of each method's 1 - linear CKA per layer.
 *
 * <pre>
 * java ... org.sdd4j.bench.GrpoReproductionReport OUT METHOD,... SEED,... SPLIT,...
 * </pre>
 * reads {@code OUT/keys/SPLIT.keys}, {@code OUT/base/scores/SPLIT.scores} and
 * {@code OUT/METHOD/seedSEED/scores/SPLIT.scores} (and {@code OUT/METHOD/seedSEED/drift.json}); writes
 * {@code OUT/report.md} and {@code OUT/plots/}.
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
                md.append(' ').append(meanStd(e, "%.2f")).append(" |");
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
                + "\nPer seed (EER %):\n\n" + perSeed + drift(out, methods, seeds);
        Files.writeString(out.resolve("report.md"), report);
        System.out.print(report);
    }

    /** The drift table and chart, or "" when some run has no drift.json. */
    private static String drift(Path out, List<String> methods, List<String> seeds) throws IOException {
        ObjectMapper json = new ObjectMapper();
        LinkedHashMap<String, List<JsonNode>> reports = new LinkedHashMap<>();
        for (String method : methods) {
            List<JsonNode> runs = new ArrayList<>();
            for (String seed : seeds) {
                Path f = out.resolve(method).resolve("seed" + seed).resolve("drift.json");
                if (!Files.isRegularFile(f)) {
                    return "";
                }
                runs.add(json.readTree(f.toFile()));
            }
            reports.put(method, runs);
        }
        JsonNode first = reports.values().iterator().next().get(0);
        List<String> layers = new ArrayList<>();
        first.get("layers").forEach(l -> layers.add(l.get("layer").asText()));
        List<String> last = layers.subList(Math.max(0, layers.size() - 2), layers.size());
        StringBuilder md = new StringBuilder("\nDrift from the start on the probe set (")
                .append(first.get("utterances").asInt())
                .append(" utterances), mean ± sample std over seeds:\n\n| method | relative weight change |");
        for (String l : last) {
            md.append(' ').append(l).append(" cosine | ").append(l).append(" linear CKA |");
        }
        md.append("\n|---|---:|").append("---:|".repeat(2 * last.size())).append('\n');
        List<Plots.Series> cka = new ArrayList<>();
        for (var e : reports.entrySet()) {
            List<JsonNode> runs = e.getValue();
            md.append("| ").append(e.getKey()).append(" | ")
                    .append(meanStd(runs.stream().mapToDouble(r -> r.get("total").get("relative_change").asDouble())
                            .toArray(), "%.4f")).append(" |");
            for (String l : last) {
                md.append(' ').append(meanStd(layerValues(runs, l, "mean_cosine"), "%.3f")).append(" | ")
                        .append(meanStd(layerValues(runs, l, "linear_cka"), "%.3f")).append(" |");
            }
            md.append('\n');
            double[] change = new double[layers.size()];
            for (int i = 0; i < change.length; i++) {
                change[i] = 1 - SampleStats.mean(layerValues(runs, layers.get(i), "linear_cka"));
            }
            cka.add(new Plots.Series(e.getKey(), change));
        }
        // 1 - CKA: the bars show how far each layer moved (CKA itself sits near 1 and hides the differences).
        Plots.writeLayerChart(out.resolve("plots"), "drift_cka", "Representation change from the start, per layer"
                + " (mean over seeds)", "1 - linear CKA", layers, cka, null);
        return md.toString();
    }

    private static double[] layerValues(List<JsonNode> runs, String layer, String field) {
        double[] v = new double[runs.size()];
        for (int k = 0; k < v.length; k++) {
            v[k] = Double.NaN;
            for (JsonNode l : runs.get(k).get("layers")) {
                if (l.get("layer").asText().equals(layer)) {
                    v[k] = l.get(field).asDouble();
                }
            }
        }
        return v;
    }

    /** "mean ± std"; a single seed has no spread, and its std is written as 0. */
    private static String meanStd(double[] v, String format) {
        return String.format(Locale.ROOT, format + " ± " + format, SampleStats.mean(v),
                v.length < 2 ? 0 : SampleStats.std(v));
    }

    private static ScoreSet scores(Path run, Path out, String split) throws IOException {
        return ScoreFiles.readCm(run.resolve("scores").resolve(split + ".scores"),
                out.resolve("keys").resolve(split + ".keys"));
    }

    private static double eer(Path run, Path out, String split) throws IOException {
        return Eer.of(scores(run, out, split)).rate();
    }
}
