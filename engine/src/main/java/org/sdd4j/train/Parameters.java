package org.sdd4j.train;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.sdd4j.autograd.Tape;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

/**
 * A model's weights in one writable, contiguous block, with a gradient block beside it for the
 * trainable ones. Training updates this memory in place and scoring reads the same tensors, so a
 * trained model is scored without conversion; optimiser states, clipping and the frozen copies GRPO
 * needs are single loops or single bulk copies over the flat blocks.
 *
 * <p>Built from a (read-only, memory-mapped) checkpoint by one copy; every float32 tensor is included
 * (parameters and BatchNorm statistics), other dtypes (e.g. {@code num_batches_tracked}) are left out.
 */
public final class Parameters implements AutoCloseable {
    /** One tensor: its name, its view into the weight block, and its gradient view (null when frozen). */
    public record Entry(String name, Tensor value, Tensor grad, long offset) {
        public boolean trainable() {
            return grad != null;
        }
    }

    private final Arena arena;
    private final MemorySegment weights;
    private final MemorySegment grads;
    private final List<Entry> entries;
    private final StateDict stateDict;
    private final long trainableCount;

    private Parameters(Arena arena, MemorySegment weights, MemorySegment grads, List<Entry> entries,
                       StateDict stateDict, long trainableCount) {
        this.arena = arena;
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
     * Copies the float32 tensors of {@code source} into one writable block.
     *
     * @param trainable which parameter names get gradients (e.g. everything but a frozen encoder);
     *                  BatchNorm statistics never do
     */
    public static Parameters copyOf(StateDict source, Predicate<String> trainable) {
        Arena arena = Arena.ofShared();
        try {
            long total = 0, gradTotal = 0;
            for (var e : source.tensors().entrySet()) {
                if (e.getValue().dtype() == DType.F32) {
                    total += align(e.getValue().numel() * 4);
                    if (isParameterName(e.getKey()) && trainable.test(e.getKey())) {
                        gradTotal += align(e.getValue().numel() * 4);
                    }
                }
            }
            MemorySegment w = arena.allocate(Math.max(total, 64), 64);
            MemorySegment g = arena.allocate(Math.max(gradTotal, 64), 64);
            List<Entry> list = new ArrayList<>();
            Map<String, Tensor> views = new LinkedHashMap<>();
            long at = 0, gat = 0, count = 0;
            for (var e : source.tensors().entrySet()) {
                Tensor t = e.getValue();
                if (t.dtype() != DType.F32) {
                    views.put(e.getKey(), t);
                    continue;
                }
                long bytes = t.numel() * 4;
                Tensor view = Tensor.wrap(w.asSlice(at, bytes), DType.F32, t.shape());
                view.copyFrom(t);
                Tensor grad = null;
                if (isParameterName(e.getKey()) && trainable.test(e.getKey())) {
                    grad = Tensor.wrap(g.asSlice(gat, bytes), DType.F32, t.shape());
                    gat += align(bytes);
                    count += t.numel();
                }
                list.add(new Entry(e.getKey(), view, grad, at));
                views.put(e.getKey(), view);
                at += align(bytes);
            }
            return new Parameters(arena, w, g, Collections.unmodifiableList(list),
                    StateDict.of(source.source(), arena, views), count);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static long align(long bytes) {
        return (bytes + 63) & ~63L;
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

    /** The whole weight block (parameters and statistics): one bulk copy makes a frozen snapshot. */
    public MemorySegment weightBlock() {
        return weights;
    }

    /**
     * A frozen snapshot of this block (GRPO's old and reference policies): the whole weight block in one
     * bulk copy, tensors at the same offsets, no gradients. Build a model from its {@link #stateDict()}; refresh
     * it later with {@link #copyFrom}, again one bulk copy.
     */
    public Parameters frozenCopy() {
        Arena copyArena = Arena.ofShared();
        try {
            MemorySegment w = copyArena.allocate(weights.byteSize(), 64);
            MemorySegment.copy(weights, 0, w, 0, weights.byteSize());
            List<Entry> list = new ArrayList<>(entries.size());
            Map<String, Tensor> views = new LinkedHashMap<>(stateDict.tensors());
            for (Entry e : entries) {
                Tensor view = Tensor.wrap(w.asSlice(e.offset(), e.value().numel() * 4), DType.F32, e.value().shape());
                list.add(new Entry(e.name(), view, null, e.offset()));
                views.put(e.name(), view);
            }
            return new Parameters(copyArena, w, copyArena.allocate(64, 64), Collections.unmodifiableList(list),
                    StateDict.of(stateDict.source(), copyArena, views), 0);
        } catch (RuntimeException | Error e) {
            copyArena.close();
            throw e;
        }
    }

    /** Bytes of the weight block (parameters and statistics). */
    public long weightBytes() {
        return weights.byteSize();
    }

    /** Bytes of the gradient block (trainable parameters only). */
    public long gradientBytes() {
        return grads.byteSize();
    }

    /** Copies every weight and statistic from {@code other}, which must have the same layout. */
    public void copyFrom(Parameters other) {
        if (other.weights.byteSize() != weights.byteSize()) {
            throw new IllegalArgumentException("parameter blocks differ in size");
        }
        MemorySegment.copy(other.weights, 0, weights, 0, weights.byteSize());
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
        grads.fill((byte) 0);
    }

    @Override
    public void close() {
        arena.close();
    }
}
