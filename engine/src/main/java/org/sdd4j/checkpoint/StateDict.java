package org.sdd4j.checkpoint;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

/**
 * The named tensors of one checkpoint, in file order, with the file they came from and the arena that owns
 * their memory (usually the file mapping).
 *
 * <p>Closing the state dict returned by {@link Checkpoints#open} releases the mapping, which ends the life
 * of every tensor in it. Views made by {@link #stripPrefix}, {@link #withPrefix} and {@link #subset} share
 * the tensors and the arena; closing a view does nothing.
 */
public final class StateDict implements AutoCloseable {
    /** Keys under which training scripts commonly nest the state dict, tried in this order. */
    static final List<String> NESTED_KEYS = List.of("state_dict", "model_state_dict", "model", "module", "net", "network", "params");

    private final Path source;
    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final Map<String, Object> extras;
    private final boolean ownsArena;
    private boolean closed;

    private StateDict(Path source, Arena arena, Map<String, Tensor> tensors, Map<String, Object> extras, boolean ownsArena) {
        this.source = source;
        this.arena = arena;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.extras = Collections.unmodifiableMap(extras);
        this.ownsArena = ownsArena;
    }

    /** A state dict over existing tensors; it does not own {@code arena} and closing it does nothing. */
    public static StateDict of(Path source, Arena arena, Map<String, Tensor> tensors) {
        return new StateDict(source, arena, new LinkedHashMap<>(tensors), Map.of(), false);
    }

    /** A state dict that owns {@code arena}: closing it closes the arena. */
    static StateDict owning(Path source, Arena arena, Map<String, Tensor> tensors, Map<String, Object> extras) {
        return new StateDict(source, arena, tensors, extras, true);
    }

    /**
     * Finds the tensors in an unpickled torch checkpoint: at the top level of a dict, or, when the top level
     * has none, in a dict under one of {@link #NESTED_KEYS}. The other top-level entries become extras.
     */
    static StateDict fromPickled(Path source, Arena arena, Object root) {
        if (!(root instanceof Map<?, ?> top)) {
            throw new CheckpointException(source, "the checkpoint holds a " + (root == null ? "None" : root.getClass().getSimpleName())
                    + ", not a dict of tensors");
        }
        Map<?, ?> holder = top;
        String nestedKey = null;
        if (!hasTensors(top)) {
            for (String key : NESTED_KEYS) {
                if (top.get(key) instanceof Map<?, ?> nested && hasTensors(nested)) {
                    holder = nested;
                    nestedKey = key;
                    break;
                }
            }
        }
        if (!hasTensors(holder)) {
            throw new CheckpointException(source, "no tensors at the top level or under any of " + NESTED_KEYS
                    + " (top-level keys: " + top.keySet() + ")");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : holder.entrySet()) {
            if (e.getValue() instanceof Tensor t) {
                if (!(e.getKey() instanceof String name)) {
                    throw new CheckpointException(source, "tensor key " + e.getKey() + " is not a string");
                }
                tensors.put(name, t);
            }
        }
        Map<String, Object> extras = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : top.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (!key.equals(nestedKey) && !(e.getValue() instanceof Tensor)) {
                extras.put(key, e.getValue());
            }
        }
        return owning(source, arena, tensors, extras);
    }

    private static boolean hasTensors(Map<?, ?> map) {
        return map.values().stream().anyMatch(Tensor.class::isInstance);
    }

    /** The file the tensors were read from. */
    public Path source() {
        return source;
    }

    /** The arena that owns the tensors' memory; derived tensors (e.g. resolved weight norms) go here too. */
    public Arena arena() {
        return arena;
    }

    /** All tensors by name, in file order (unmodifiable). */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /**
     * The checkpoint's other top-level values (epoch counters, configs, optimizer state, safetensors
     * {@code __metadata__}) as the unpickler built them: Long, Double, String, List, Map, Tensor, ...
     */
    public Map<String, Object> extras() {
        return extras;
    }

    public Set<String> keys() {
        return tensors.keySet();
    }

    public int size() {
        return tensors.size();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public Optional<Tensor> get(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The total number of elements over all tensors (parameters and buffers alike). */
    public long numel() {
        return tensors.values().stream().mapToLong(Tensor::numel).sum();
    }

    /**
     * The tensor {@code name}, which must exist and, when {@code shape} is given, have exactly that shape.
     * With no shape any shape is accepted.
     *
     * @throws CheckpointException naming the file, the key and the expected and actual shapes
     */
    public Tensor require(String name, int... shape) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(source, "missing tensor '" + name + "'" + suggestions(name));
        }
        if (shape.length > 0 && !Arrays.equals(t.shape(), shape)) {
            throw new CheckpointException(source, "tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        return t;
    }

    private String suggestions(String name) {
        String last = name.substring(name.lastIndexOf('.') + 1);
        String first = name.contains(".") ? name.substring(0, name.indexOf('.') + 1) : name;
        List<String> near = new ArrayList<>();
        for (String k : tensors.keySet()) {
            if (near.size() < 5 && (k.startsWith(first) || k.endsWith("." + last) || k.equals(last))) {
                near.add(k);
            }
        }
        return " (" + tensors.size() + " tensors" + (near.isEmpty() ? "" : "; similar: " + near) + ")";
    }

    /** Drops {@code prefix} from the keys that start with it (e.g. "module." from DataParallel); others stay. */
    public StateDict stripPrefix(String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> out.put(k.startsWith(prefix) ? k.substring(prefix.length()) : k, t));
        if (out.size() != tensors.size()) {
            throw new CheckpointException(source, "stripping '" + prefix + "' makes keys collide");
        }
        return view(out);
    }

    /** Puts {@code prefix} in front of every key. */
    public StateDict withPrefix(String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> out.put(prefix + k, t));
        return view(out);
    }

    /** Only the keys that start with {@code prefix}, with the prefix removed (a sub-module's state dict). */
    public StateDict subset(String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), t);
            }
        });
        return view(out);
    }

    private StateDict view(Map<String, Tensor> map) {
        return new StateDict(source, arena, map, extras, false);
    }

    /**
     * The effective float32 weight of module {@code base}, whichever way the checkpoint stores it:
     * <ol>
     *   <li>plain {@code base.weight};</li>
     *   <li>old-style weight norm {@code base.weight_g} and {@code base.weight_v};</li>
     *   <li>parametrized weight norm {@code base.parametrizations.weight.original0} (g) and {@code original1} (v).</li>
     * </ol>
     * For weight norm, {@code w = g * v / ||v||}, the norm taken over every dimension except {@code dim}
     * (wav2vec 2.0's positional conv uses dim 2: one norm per kernel tap). Computed weights are allocated in
     * {@link #arena()}; a plain float32 weight is returned as it is.
     */
    public Tensor resolveWeightNorm(String base, int dim) {
        Tensor plain = tensors.get(base + ".weight");
        if (plain != null) {
            return plain.dtype() == DType.F32 ? plain : plain.toF32(arena);
        }
        String[][] forms = {
                {base + ".weight_g", base + ".weight_v"},
                {base + ".parametrizations.weight.original0", base + ".parametrizations.weight.original1"}};
        for (String[] form : forms) {
            Tensor g = tensors.get(form[0]);
            Tensor v = tensors.get(form[1]);
            if (g != null && v != null) {
                return weightNorm(g, v, dim, form[0]);
            }
            if (g != null || v != null) {
                throw new CheckpointException(source, "weight norm of '" + base + "' has '" + (g != null ? form[0] : form[1])
                        + "' but not '" + (g != null ? form[1] : form[0]) + "'");
            }
        }
        throw new CheckpointException(source, "missing weight of '" + base + "': none of " + base + ".weight, "
                + forms[0][0] + " + _v, " + forms[1][0] + " + original1" + suggestions(base + ".weight"));
    }

    private Tensor weightNorm(Tensor g, Tensor v, int dim, String gName) {
        int[] shape = v.shape();
        int d = dim < 0 ? dim + shape.length : dim;
        if (d < 0 || d >= shape.length) {
            throw new IllegalArgumentException("weight-norm dim " + dim + " out of range for " + v);
        }
        long outer = Tensor.numel(Arrays.copyOfRange(shape, 0, d));
        int n = shape[d];
        long inner = Tensor.numel(Arrays.copyOfRange(shape, d + 1, shape.length));
        if (g.numel() != n) {
            throw new CheckpointException(source, "'" + gName + "' has shape " + Arrays.toString(g.shape()) + " but v has "
                    + n + " entries along dim " + dim + " of " + Arrays.toString(shape));
        }
        Tensor w = Tensor.zeros(arena, DType.F32, shape);
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (long o = 0; o < outer; o++) {
                long row = (o * n + i) * inner;
                for (long k = 0; k < inner; k++) {
                    double x = v.getAsDouble(row + k);
                    sum += x * x;
                }
            }
            // As torch: v * (g / norm), with the norm and the scale rounded to float32.
            float scale = (float) g.getAsDouble(i) / (float) Math.sqrt(sum);
            for (long o = 0; o < outer; o++) {
                long row = (o * n + i) * inner;
                for (long k = 0; k < inner; k++) {
                    w.setFloat(row + k, (float) v.getAsDouble(row + k) * scale);
                }
            }
        }
        return w;
    }

    /** Releases the memory of every tensor, if this state dict owns it; later calls do nothing. */
    @Override
    public void close() {
        if (ownsArena && !closed) {
            closed = true;
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "StateDict(" + source + ", " + tensors.size() + " tensors)";
    }
}
