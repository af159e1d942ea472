package org.sdd4j.train;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.sdd4j.autograd.Tape;
import org.sdd4j.backend.Backend;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Device;
import org.sdd4j.tensor.Tensor;

/**
 * A model's weights in one writable, contiguous block, with a gradient block beside it for the
 * trainable ones. Training updates this memory in place and scoring reads the same tensors, so a
 * trained model is scored without conversion; optimiser states, clipping and the frozen copies GRPO
 * needs are single loops or single bulk copies over the flat blocks.
 *
 * <p>Built from a (read-only, memory-mapped) checkpoint by one copy; every float32 tensor is included
 * (parameters and BatchNorm statistics), other dtypes (e.g. {@code num_batches_tracked}) are left out.
 *
 * <p>The blocks are in host memory, or on a GPU backend's device ({@link #copyOf(StateDict, Predicate, Backend)}):
 * then the model built from {@link #stateDict()} computes on device weights, backward accumulates into device
 * gradients, and the optimiser updates them there; {@link #toHost} and {@link #load} cross to the host for
 * checkpoints.
 */
public final class Parameters implements AutoCloseable {
    /** One tensor: its name, its view into the weight block, and its gradient view (null when frozen). */
    public record Entry(String name, Tensor value, Tensor grad, long offset) {
        public boolean trainable() {
            return grad != null;
        }
    }

    private final Arena arena;
    /** Host blocks' copies, fills and gradient passes: the plain definitions every backend shares. */
    private static final Backend HOST = new org.sdd4j.backend.ReferenceBackend();

    /** The device backend the blocks live on, or null for host memory. */
    private final Backend device;
    private final Tensor weights;
    private final Tensor grads;
    private final List<Entry> entries;
    private final StateDict stateDict;
    private final long trainableCount;

    private Parameters(Arena arena, Backend device, Tensor weights, Tensor grads, List<Entry> entries,
                       StateDict stateDict, long trainableCount) {
        this.arena = arena;
        this.device = device;
        this.weights = weights;
        this.grads = grads;
        this.entries = entries;
        this.stateDict = stateDict;
        this.trainableCount = trainableCount;
    }

    /** Whether a state-dict entry is a trainable parameter (not a BatchNorm statistic). */
    public static boolean isParameterName(String name) {
        return !name.endsWith(".running_mean") && !name.endsWith(".running_var")
                && !name.endsWith(".num_batches_tracked");
    }

    /**
     * Copies the float32 tensors of {@code source} into one writable host block.
     *
     * @param trainable which parameter names get gradients (e.g. everything but a frozen encoder);
     *                  BatchNorm statistics never do
     */
    public static Parameters copyOf(StateDict source, Predicate<String> trainable) {
        return copyOf(source, trainable, null);
    }

    /**
     * As {@link #copyOf(StateDict, Predicate)}, with the blocks where {@code backend} computes: its device for a GPU
     * backend, host memory for a CPU one (or null).
     */
    public static Parameters copyOf(StateDict source, Predicate<String> trainable, Backend backend) {
        Backend device = backend != null && backend.device() != Device.CPU ? backend : null;
        Arena arena = Arena.ofShared();
        try {
            long total = 0, gradTotal = 0;
            for (var e : source.tensors().entrySet()) {
                if (e.getValue().dtype() == DType.F32) {
                    total += align(e.getValue().numel());
                    if (isParameterName(e.getKey()) && trainable.test(e.getKey())) {
                        gradTotal += align(e.getValue().numel());
                    }
                }
            }
            Tensor w = block(arena, device, total, false);
            Tensor g = block(arena, device, gradTotal, true);
            List<Entry> list = new ArrayList<>();
            Map<String, Tensor> views = new LinkedHashMap<>();
            long at = 0, gat = 0, count = 0;
            for (var e : source.tensors().entrySet()) {
                Tensor t = e.getValue();
                if (t.dtype() != DType.F32) {
                    views.put(e.getKey(), t);
                    continue;
                }
                Tensor view = w.view(at, t.shape());
                on(device).copy(t, view);
                Tensor grad = null;
                if (isParameterName(e.getKey()) && trainable.test(e.getKey())) {
                    grad = g.view(gat, t.shape());
                    gat += align(t.numel());
                    count += t.numel();
                }
                list.add(new Entry(e.getKey(), view, grad, at * 4));
                views.put(e.getKey(), view);
                at += align(t.numel());
            }
            return new Parameters(arena, device, w, g, Collections.unmodifiableList(list),
                    StateDict.of(source.source(), arena, views), count);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Elements rounded up to 16 (64 bytes), so every tensor starts 64-byte aligned for vector loads. */
    private static long align(long floats) {
        return (floats + 15) & ~15L;
    }

    /** A flat float32 block of at least 16 elements in {@code arena}, on {@code device} (null: host). */
    private static Tensor block(Arena arena, Backend device, long floats, boolean zero) {
        if (floats > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a parameter block of " + floats + " floats exceeds 2^31 - 1");
        }
        return allocate(arena, device, zero, (int) Math.max(floats, 16));
    }

    /** A float32 tensor in {@code arena} on {@code device}; host tensors are always zero-filled. */
    private static Tensor allocate(Arena arena, Backend device, boolean zero, int... shape) {
        return device == null ? Tensor.zeros(arena, shape) : device.allocate(arena, zero, shape);
    }

    /** Where operations on the blocks run: the device backend, or the host definitions for host blocks. */
    private static Backend on(Backend device) {
        return device != null ? device : HOST;
    }

    /** The weights as a state dict over this block: build the model from it. */
    public StateDict stateDict() {
        return stateDict;
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Elements that receive gradients. */
    public long trainableCount() {
        return trainableCount;
    }

    /** The backend whose device holds the blocks, or null when they are in host memory. */
    public Backend device() {
        return device;
    }

    /**
     * A frozen snapshot of this block (GRPO's old and reference policies): the whole weight block in one
     * bulk copy, on the same device, tensors at the same offsets, no gradients. Build a model from its
     * {@link #stateDict()}; refresh it later with {@link #copyFrom}, again one bulk copy.
     */
    public Parameters frozenCopy() {
        Arena copyArena = Arena.ofShared();
        try {
            Tensor w = block(copyArena, device, weights.numel(), false);
            on(device).copy(weights, w);
            List<Entry> list = new ArrayList<>(entries.size());
            Map<String, Tensor> views = new LinkedHashMap<>(stateDict.tensors());
            for (Entry e : entries) {
                Tensor view = w.view(e.offset() / 4, e.value().shape());
                list.add(new Entry(e.name(), view, null, e.offset()));
                views.put(e.name(), view);
            }
            return new Parameters(copyArena, device, w, block(copyArena, device, 16, true),
                    Collections.unmodifiableList(list), StateDict.of(stateDict.source(), copyArena, views), 0);
        } catch (RuntimeException | Error e) {
            copyArena.close();
            throw e;
        }
    }

    /** Bytes of the weight block (parameters and statistics). */
    public long weightBytes() {
        return weights.numel() * 4;
    }

    /** Bytes of the gradient block (trainable parameters only). */
    public long gradientBytes() {
        return grads.numel() * 4;
    }

    /** Copies every weight and statistic from {@code other}, which must have the same layout. */
    public void copyFrom(Parameters other) {
        if (other.weights.numel() != weights.numel()) {
            throw new IllegalArgumentException("parameter blocks differ in size");
        }
        on(device != null ? device : other.device).copy(other.weights, weights);
    }

    /** Marks the trainable parameters on {@code tape} and binds their gradients to this block. */
    public void watch(Tape tape) {
        for (Entry e : entries) {
            if (e.trainable()) {
                tape.watch(e.value());
                tape.bindGrad(e.value(), e.grad());
            }
        }
    }

    /** Sets every gradient to zero (one fill of the gradient block). */
    public void zeroGrad() {
        on(device).fill(grads, 0f);
    }

    /**
     * The sum of every gradient squared, in double: one pass over the gradient block (its alignment padding is
     * zero), in the order of the entries.
     */
    public double gradientSumOfSquares() {
        return on(device).sumOfSquares(grads);
    }

    /** Multiplies every gradient by {@code coef} (one pass over the gradient block). */
    public void scaleGradients(float coef) {
        on(device).scale(grads, coef, false, grads, false);
    }

    /** A zero-filled tensor shaped as {@code like} where this block lives, in {@code owner} (optimiser state). */
    public Tensor zerosLike(Tensor like, Arena owner) {
        return allocate(owner, device, true, like.shape());
    }

    /** {@code t} (a tensor where this block lives) readable on the host: itself, or a copy in {@code owner}. */
    public Tensor toHost(Tensor t, Arena owner) {
        if (t.device() == Device.CPU) {
            return t;
        }
        Tensor h = Tensor.zeros(owner, t.shape());
        device.copy(t, h);
        return h;
    }

    /** Copies host (or same-device) values into {@code target}, a tensor where this block lives. */
    public void load(Tensor target, Tensor values) {
        on(device).copy(values, target);
    }

    @Override
    public void close() {
        arena.close();
    }
}
