package org.sdd4j.drift;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;
import java.util.Optional;
import org.sdd4j.api.ModelLoader;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.LayerRecorder.Layout;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.zoo.ModelFamily;
import org.sdd4j.metrics.Plots;

/**
 * Weight and representation drift between a reference checkpoint and one fine-tuned from it, as a text
 * table, JSON and plots.
 *
 * @param family      the architecture family both share
 * @param utterances  the probe utterances the representations were compared on
 * @param weights     relative weight change per tensor and module
 * @param layers      cosine and linear CKA per reported layer (empty when there was no probe set)
 */
public record DriftReport(String from, String to, String family, int utterances, WeightDrift weights,
                          List<RepresentationDrift.Layer> layers) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public DriftReport {
        layers = List.copyOf(layers);
    }

    /**
     * Compares checkpoint {@code to} with the reference {@code from}: weights tensor by tensor, and each
     * model's reported layer outputs on {@code utterances} (mono 16 kHz samples, shaped here as the family
     * expects), run in forward passes of up to {@code batchSize} on {@code backend}.
     *
     * @param progress told after each forward pass how many of the {@code 2 * utterances.size()} model runs
     *                 are done (null: nobody is told)
     * @throws org.sdd4j.checkpoint.CheckpointException when a file is not a detector checkpoint
     * @throws IllegalArgumentException                 when the two are not of one architecture, or an utterance
     *                                                  is empty
     * @throws IOException                              when a file cannot be read
     */
    public static DriftReport measure(Path from, Path to, List<float[]> utterances, Backend backend, int batchSize,
                                      IntConsumer progress) throws IOException {
        try (StateDict fromFile = Checkpoints.open(from); StateDict toFile = Checkpoints.open(to)) {
            StateDict a = ModelLoader.normalise(fromFile), b = ModelLoader.normalise(toFile);
            ModelFamily family = ModelLoader.detect(a), other = ModelLoader.detect(b);
            if (family != other) {
                throw new IllegalArgumentException(from + " is a " + family + " checkpoint but " + to + " is a " + other
                        + " one: drift compares checkpoints of one architecture");
            }
            WeightDrift weights = WeightDrift.between(a, b);
            SpoofModel reference = ModelLoader.build(family, a, Optional.empty());
            SpoofModel tuned = ModelLoader.build(family, b, Optional.empty());
            List<float[]> inputs = new ArrayList<>(utterances.size());
            for (int i = 0; i < utterances.size(); i++) {
                if (utterances.get(i).length == 0) {
                    throw new IllegalArgumentException("utterance " + i + " has no samples");
                }
                inputs.add(reference.input().prepare(utterances.get(i)));
            }
            int n = inputs.size();
            IntConsumer second = progress == null ? null : done -> progress.accept(n + done);
            List<RepresentationDrift.Layer> layers = inputs.isEmpty() ? List.of() : RepresentationDrift.compare(
                    PooledFeatures.collect(reference, backend, inputs, batchSize, progress),
                    PooledFeatures.collect(tuned, backend, inputs, batchSize, second));
            return new DriftReport(from.toString(), to.toString(), reference.family(), inputs.size(), weights, layers);
        }
    }

    /** The three tables: weight change per module, representation drift per layer, weight change per tensor. */
    public String toText() {
        StringBuilder b = new StringBuilder();
        b.append("Drift of ").append(family).append(" checkpoint ").append(to).append('\n');
        b.append("     from ").append(from).append('\n');
        b.append('\n').append("Weight change per module: ||W_to - W_from||_F / ||W_from||_F over its parameters\n");
        int w = Math.max(24, weights.modules().stream().mapToInt(m -> m.module().length()).max().orElse(0));
        b.append(String.format(Locale.ROOT, "%-" + w + "s %8s %12s %12s %12s %12s%n", "module", "tensors", "parameters",
                "||W_from||", "||change||", "relative"));
        List<WeightDrift.ModuleChange> rows = new ArrayList<>(weights.modules());
        rows.add(weights.total());
        for (WeightDrift.ModuleChange m : rows) {
            b.append(String.format(Locale.ROOT, "%-" + w + "s %8d %12d %12.5g %12.5g %12s%n", m.module(), m.tensors(),
                    m.parameters(), m.fromNorm(), m.changeNorm(), change(m.relative())));
        }
        b.append('\n').append("Representation drift per layer on ").append(utterances).append(" utterance")
                .append(utterances == 1 ? "" : "s").append(": layer outputs mean-pooled over time (feature maps, frames)")
                .append(" or nodes (graphs)\n");
        if (layers.isEmpty()) {
            b.append("(no probe utterances)\n");
        } else {
            Map<String, WeightDrift.ModuleChange> byModule = weights.modules().stream()
                    .collect(Collectors.toMap(WeightDrift.ModuleChange::module, Function.identity()));
            int lw = Math.max(24, layers.stream().mapToInt(l -> l.layer().length()).max().orElse(0));
            b.append(String.format(Locale.ROOT, "%-" + lw + "s %-12s %8s %12s %12s %14s%n", "layer", "pooled over",
                    "features", "mean cosine", "linear CKA", "weight change"));
            for (RepresentationDrift.Layer l : layers) {
                WeightDrift.ModuleChange m = byModule.get(l.layer());
                b.append(String.format(Locale.ROOT, "%-" + lw + "s %-12s %8d %12s %12s %14s%n", l.layer(),
                        pooledOver(l.layout()), l.features(), similarity(l.meanCosine()),
                        similarity(l.cka()), m == null ? "-" : change(m.relative())));
            }
            if (utterances < 2) {
                b.append("(linear CKA needs at least two utterances)\n");
            }
        }
        b.append('\n').append("Weight change per tensor (* running statistics, not parameters)\n");
        int tw = Math.max(24, weights.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(0) + 2);
        b.append(String.format(Locale.ROOT, "%-" + tw + "s %-20s %12s %12s%n", "tensor", "shape", "||W_from||", "relative"));
        for (WeightDrift.TensorChange t : weights.tensors()) {
            b.append(String.format(Locale.ROOT, "%-" + tw + "s %-20s %12.5g %12s%n", t.name() + (t.parameter() ? "" : " *"),
                    shape(t.shape()), t.fromNorm(), change(t.relative())));
        }
        return b.toString();
    }

    /** The same content as JSON; undefined values (CKA on one utterance, change of a zero tensor) are null. */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("from", from).put("to", to).put("family", family).put("utterances", utterances);
        root.put("pooling", "layer outputs mean-pooled over time (feature maps, frames) or nodes (graphs)");
        ObjectNode total = root.putObject("total");
        module(total, weights.total());
        ArrayNode modules = root.putArray("modules");
        weights.modules().forEach(m -> module(modules.addObject().put("module", m.module()), m));
        ArrayNode reps = root.putArray("layers");
        for (RepresentationDrift.Layer l : layers) {
            ObjectNode o = reps.addObject().put("layer", l.layer()).put("layout", l.layout().name().toLowerCase(Locale.ROOT))
                    .put("pooled_over", pooledOver(l.layout())).put("features", l.features());
            number(o, "mean_cosine", l.meanCosine());
            number(o, "linear_cka", l.cka());
        }
        ArrayNode tensors = root.putArray("tensors");
        for (WeightDrift.TensorChange t : weights.tensors()) {
            ObjectNode o = tensors.addObject().put("tensor", t.name()).put("module", t.module())
                    .put("parameter", t.parameter());
            ArrayNode shape = o.putArray("shape");
            for (int d : t.shape()) {
                shape.add(d);
            }
            o.put("from_norm", t.fromNorm()).put("change_norm", t.changeNorm());
            number(o, "relative_change", t.relative());
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes {@code weight_change.svg/.png} (relative change per module) and, with a probe set,
     * {@code representation.svg/.png} (mean cosine and linear CKA per layer) into {@code folder}.
     */
    public List<Path> writePlots(Path folder) throws IOException {
        List<Path> files = new ArrayList<>();
        List<WeightDrift.ModuleChange> modules = weights.modules();
        double[] relative = modules.stream().mapToDouble(WeightDrift.ModuleChange::relative).toArray();
        files.addAll(Plots.writeLayerChart(folder, "weight_change", "Relative weight change per module",
                "||W_to - W_from|| / ||W_from||", modules.stream().map(WeightDrift.ModuleChange::module).toList(),
                List.of(new Plots.Series("relative change", relative)), null));
        if (!layers.isEmpty()) {
            files.addAll(Plots.writeLayerChart(folder, "representation",
                    "Representation similarity per layer (" + utterances + " utterances)", "similarity",
                    layers.stream().map(RepresentationDrift.Layer::layer).toList(),
                    List.of(new Plots.Series("mean cosine", layers.stream().mapToDouble(RepresentationDrift.Layer::meanCosine).toArray()),
                            new Plots.Series("linear CKA", layers.stream().mapToDouble(RepresentationDrift.Layer::cka).toArray())),
                    1.0));
        }
        return files;
    }

    private static String pooledOver(Layout layout) {
        return switch (layout) {
            case FEATURE_MAP -> "time";
            case FRAMES -> "frames";
            case NODES -> "nodes";
            case VECTOR -> "-";
        };
    }

    private static void module(ObjectNode o, WeightDrift.ModuleChange m) {
        o.put("tensors", m.tensors()).put("parameters", m.parameters()).put("from_norm", m.fromNorm())
                .put("change_norm", m.changeNorm());
        number(o, "relative_change", m.relative());
    }

    private static void number(ObjectNode o, String field, double v) {
        if (Double.isFinite(v)) {
            o.put(field, v);
        } else {
            o.putNull(field);
        }
    }

    private static String change(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4e", v) : Double.isNaN(v) ? "-" : "inf";
    }

    private static String similarity(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6f", v) : "-";
    }

    private static String shape(int[] s) {
        return java.util.Arrays.stream(s).mapToObj(Integer::toString).collect(Collectors.joining("x", "[", "]"));
    }
}
