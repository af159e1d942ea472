package org.sdd4j.drift;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.ssl.AntiDeepfake;
import org.sdd4j.model.ssl.SslAasist;
import org.sdd4j.tensor.Tensor;

/**
 * The relative weight change {@code ||W_to - W_from||_F / ||W_from||_F} between two checkpoints of one
 * architecture, per floating tensor and per module. A module's change is that of all its parameters taken
 * as one vector ({@code sqrt(sum ||dW||^2) / sqrt(sum ||W||^2)}), so large tensors weigh as much as their
 * size; BatchNorm running statistics are listed per tensor but left out of the modules, since they are
 * not trained by gradients.
 */
public final class WeightDrift {
    private final List<TensorChange> tensors;
    private final List<ModuleChange> modules;

    /**
     * One tensor's change.
     *
     * @param module     the module it belongs to ({@link #moduleOf})
     * @param parameter  false for running statistics (buffers)
     * @param fromNorm   {@code ||W_from||_F}
     * @param changeNorm {@code ||W_to - W_from||_F}
     */
    public record TensorChange(String name, String module, int[] shape, boolean parameter, double fromNorm,
                               double changeNorm) {
        /** {@code changeNorm / fromNorm}; 0 for an unchanged zero tensor, infinite for a changed one. */
        public double relative() {
            return WeightDrift.relative(changeNorm, fromNorm);
        }
    }

    /**
     * One module's change over its parameters.
     *
     * @param tensors    how many parameter tensors it has
     * @param parameters how many scalars they hold
     */
    public record ModuleChange(String module, int tensors, long parameters, double fromNorm, double changeNorm) {
        public double relative() {
            return WeightDrift.relative(changeNorm, fromNorm);
        }
    }

    private WeightDrift(List<TensorChange> tensors, List<ModuleChange> modules) {
        this.tensors = tensors;
        this.modules = modules;
    }

    /**
     * Compares every floating tensor of {@code from} with the tensor of the same name in {@code to}; both
     * should be normalised by {@link org.sdd4j.api.ModelLoader#normalise} (float32, no {@code module.}).
     *
     * @throws IllegalArgumentException when the two do not have the same tensor names and shapes, naming
     *                                  both files and the first differences
     */
    public static WeightDrift between(StateDict from, StateDict to) {
        requireSameArchitecture(from, to);
        List<TensorChange> tensors = new ArrayList<>();
        Map<String, double[]> sums = new LinkedHashMap<>();   // module -> {from^2, change^2, tensors, scalars}
        for (Map.Entry<String, Tensor> e : from.tensors().entrySet()) {
            Tensor a = e.getValue(), b = to.tensors().get(e.getKey());
            if (!a.dtype().isFloating()) {
                continue;   // num_batches_tracked and other counters
            }
            double aa = 0, dd = 0;
            for (long i = 0, n = a.numel(); i < n; i++) {
                double x = a.getFloat(i), d = (double) b.getFloat(i) - x;
                aa += x * x;
                dd += d * d;
            }
            String module = moduleOf(e.getKey());
            boolean parameter = isParameter(e.getKey());
            tensors.add(new TensorChange(e.getKey(), module, a.shape(), parameter, Math.sqrt(aa), Math.sqrt(dd)));
            if (parameter) {
                double[] s = sums.computeIfAbsent(module, k -> new double[4]);
                s[0] += aa;
                s[1] += dd;
                s[2] += 1;
                s[3] += a.numel();
            }
        }
        List<ModuleChange> modules = new ArrayList<>();
        sums.forEach((m, s) -> modules.add(new ModuleChange(m, (int) s[2], (long) s[3], Math.sqrt(s[0]), Math.sqrt(s[1]))));
        return new WeightDrift(List.copyOf(tensors), List.copyOf(modules));
    }

    /** Per tensor, in checkpoint order (integer tensors left out). */
    public List<TensorChange> tensors() {
        return tensors;
    }

    /** Per module, in the order of their first tensor in the checkpoint. */
    public List<ModuleChange> modules() {
        return modules;
    }

    /** The change of every parameter of the model taken as one vector. */
    public ModuleChange total() {
        double aa = 0, dd = 0;
        long n = 0;
        int count = 0;
        for (ModuleChange m : modules) {
            aa += m.fromNorm() * m.fromNorm();
            dd += m.changeNorm() * m.changeNorm();
            n += m.parameters();
            count += m.tensors();
        }
        return new ModuleChange("(all parameters)", count, n, Math.sqrt(aa), Math.sqrt(dd));
    }

    /**
     * The module a tensor belongs to. Within a wrapped sub-model ({@link #SUBMODEL_PREFIXES}: the SSL
     * encoders) names are read after its prefix, which is kept. A name is cut after its first numeric
     * component, which is where PyTorch numbers repeated layers ({@code encoder.3.0.conv1.weight -> encoder.3},
     * {@code ssl_model.model.encoder.layers.7.fc1.weight -> ssl_model.model.encoder.layers.7}). A top-level
     * name without one belongs to its first component ({@code GAT_layer_S.att_proj.weight -> GAT_layer_S},
     * {@code pos_S -> pos_S}); a sub-model's, to the name without the tensor's own
     * ({@code ssl_model.model.encoder.layer_norm.weight -> ssl_model.model.encoder.layer_norm}).
     */
    public static String moduleOf(String tensor) {
        String prefix = SUBMODEL_PREFIXES.stream().filter(tensor::startsWith).findFirst().orElse("");
        String[] parts = tensor.substring(prefix.length()).split("\\.");
        for (int i = 1; i < parts.length; i++) {
            if (!parts[i].isEmpty() && parts[i].chars().allMatch(Character::isDigit)) {
                return prefix + String.join(".", Arrays.copyOf(parts, i + 1));
            }
        }
        // Top-level modules are whole graph layers and heads; a sub-model's are its own (encoder.layer_norm).
        int keep = prefix.isEmpty() || parts.length == 1 ? 1 : parts.length - 1;
        return prefix + String.join(".", Arrays.copyOf(parts, keep));
    }

    /** The prefixes of sub-models whose own modules are reported (SSL-AASIST's and AntiDeepfake's encoders). */
    static final List<String> SUBMODEL_PREFIXES = List.of(SslAasist.SSL_PREFIX, AntiDeepfake.SSL_PREFIX);

    /** False for BatchNorm running statistics, which torch keeps as buffers rather than parameters. */
    static boolean isParameter(String tensor) {
        return !tensor.endsWith(".running_mean") && !tensor.endsWith(".running_var");
    }

    private static double relative(double change, double norm) {
        if (norm == 0) {
            return change == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return change / norm;
    }

    private static void requireSameArchitecture(StateDict from, StateDict to) {
        List<String> problems = new ArrayList<>();
        TreeSet<String> names = new TreeSet<>(from.keys());
        names.addAll(to.keys());
        for (String name : names) {
            Tensor a = from.tensors().get(name), b = to.tensors().get(name);
            if (a == null || b == null) {
                problems.add(name + " only in " + (a == null ? to.source() : from.source()));
            } else if (!Arrays.equals(a.shape(), b.shape())) {
                problems.add(name + " is " + Arrays.toString(a.shape()) + " in one and " + Arrays.toString(b.shape())
                        + " in the other");
            } else if (a.dtype() != b.dtype()) {
                problems.add(name + " is " + a.dtype() + " in one and " + b.dtype() + " in the other");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(from.source() + " and " + to.source() + " are not checkpoints of one"
                    + " architecture: " + problems.size() + " tensor(s) differ, e.g. "
                    + String.join("; ", problems.subList(0, Math.min(5, problems.size()))));
        }
    }
}
