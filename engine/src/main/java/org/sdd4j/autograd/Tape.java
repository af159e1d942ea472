package org.sdd4j.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sdd4j.tensor.Tensor;

/**
 * Reverse-mode automatic differentiation for one forward pass: {@link org.sdd4j.backend.Ops} records a
 * backward step for every operation whose inputs need gradients, and {@link #backward} runs the steps in
 * reverse.
 *
 * <p>Gradients are keyed by the address of a tensor's memory, so views made with
 * {@link Tensor#reshape} share their base tensor's gradient (as a view of the same shape), and model code
 * needs no autograd-specific reshapes. Parameters are marked with {@link #watch}; everything computed from
 * a watched tensor needs a gradient, and nothing else does, so frozen parts of a model (an SSL encoder
 * under a trainable head) cost no backward work below the last trainable layer.
 *
 * <p>A scope that frees activations before the step ends hands their memory out again, so one address can
 * hold several tensors in one forward pass. The owner reports each fresh allocation with
 * {@link #allocated}; a key is then the address plus its generation: during forward the latest
 * allocation there, and while backward runs step {@code i}, the latest one made before step {@code i} was
 * recorded, which is the one that step's tensors lived in.
 */
public final class Tape {
    private final List<Runnable> steps = new ArrayList<>();
    private final Map<Key, Tensor> grads = new HashMap<>();
    private final Set<Key> needsGrad = new HashSet<>();
    private final Set<Key> received = new HashSet<>();
    private final Set<Key> bound = new HashSet<>();
    /** Per reused address, the number of steps recorded when each allocation there was made (ascending). */
    private final Map<Long, int[]> allocations = new HashMap<>();
    private final GradAllocator allocator;
    private boolean done;
    /** The step backward is running, or MAX_VALUE outside backward (keys then resolve to the latest tensor). */
    private int cursor = Integer.MAX_VALUE;

    /** A tensor's identity: its address, and which of the allocations made at that address it lives in. */
    private record Key(long address, int generation) {
    }

    /**
     * Allocates zero-filled gradient tensors (on the device the computation runs on), takes them back once backward
     * is done with them, and seeds the loss's gradient.
     */
    public interface GradAllocator {
        Tensor zeros(int... shape);

        void release(Tensor gradient);

        /** Refuses a parameter or gradient storage the computation cannot accumulate into ({@link #bindGrad}). */
        default void checkBound(Tensor parameter, Tensor storage) {
        }

        /** Sets every element of a gradient this allocator made; host memory by default. */
        default void fill(Tensor gradient, float value) {
            for (long i = 0, n = gradient.numel(); i < n; i++) {
                gradient.setFloat(i, value);
            }
        }
    }

    public Tape(GradAllocator allocator) {
        this.allocator = allocator;
    }

    private Key key(Tensor t) {
        long address = t.data().address();
        int[] at = allocations.get(address);
        if (at == null) {
            return new Key(address, 0);
        }
        // at[0] holds the count; generations are 1-based positions of allocations made up to the cursor.
        int n = at[0], gen = 0;
        int lo = 1, hi = n;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (at[mid] <= cursor) {
                gen = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return new Key(address, gen);
    }

    /**
     * Reports that {@code t} was just allocated (possibly at the address of a tensor freed earlier in this
     * forward pass), so it gets a key of its own.
     */
    public void allocated(Tensor t) {
        if (done) {
            return; // backward scratch is never a key
        }
        long address = t.data().address();
        int[] at = allocations.get(address);
        if (at == null) {
            at = new int[4];
        } else if (at[0] + 1 == at.length) {
            at = Arrays.copyOf(at, at.length * 2);
        }
        at[++at[0]] = steps.size();
        allocations.put(address, at);
    }

    /** Marks a parameter: it and everything computed from it will have gradients. */
    public void watch(Tensor parameter) {
        needsGrad.add(key(parameter));
    }

    /**
     * Uses {@code storage} as the gradient accumulator of {@code parameter} (so gradients land directly in
     * an optimiser's flat gradient block). Must be called before backward touches the parameter.
     */
    public void bindGrad(Tensor parameter, Tensor storage) {
        if (allocations.containsKey(parameter.data().address())) {
            throw new IllegalArgumentException("gradient storage can only be bound to parameters, not " + parameter);
        }
        if (storage.numel() != parameter.numel()) {
            throw new IllegalArgumentException("gradient storage " + storage + " does not fit " + parameter);
        }
        allocator.checkBound(parameter, storage);
        grads.put(key(parameter), storage);
        bound.add(key(parameter));
    }

    /**
     * Frees the gradient of an intermediate result once the step that produced it has run: nothing recorded
     * before that step reads it, so backward holds only the gradients still in flight, as PyTorch does.
     */
    public void release(Tensor t) {
        Key k = key(t);
        if (!bound.contains(k)) {
            Tensor g = grads.remove(k);
            if (g != null) {
                allocator.release(g);
            }
        }
    }

    /** Returns every gradient still held (those of watched parameters stay with their owner). */
    public void close() {
        for (var e : grads.entrySet()) {
            if (!bound.contains(e.getKey())) {
                allocator.release(e.getValue());
            }
        }
        grads.clear();
    }

    /** Whether {@code t} is a watched parameter or was computed from one. */
    public boolean needsGrad(Tensor t) {
        return t != null && needsGrad.contains(key(t));
    }

    /** Whether any of {@code inputs} needs a gradient (null inputs are ignored). */
    public boolean anyNeedsGrad(Tensor... inputs) {
        for (Tensor t : inputs) {
            if (needsGrad(t)) {
                return true;
            }
        }
        return false;
    }

    /** Records that {@code output} was computed from tensors that need gradients. */
    public void markComputed(Tensor output) {
        needsGrad.add(key(output));
    }

    /** Adds a backward step; steps run in reverse order of recording. */
    public void record(Runnable step) {
        if (done) {
            throw new IllegalStateException("this tape has already run backward");
        }
        steps.add(step);
    }

    /**
     * The gradient accumulator of {@code t}, created zero-filled on first use; null when {@code t} needs
     * no gradient (so backward kernels skip that output).
     */
    public Tensor grad(Tensor t) {
        if (!needsGrad(t)) {
            return null;
        }
        if (done) {
            received.add(key(t));
        }
        Tensor g = grads.get(key(t));
        if (g == null) {
            g = allocator.zeros(t.shape());
            grads.put(key(t), g);
            return g;
        }
        if (g.numel() != t.numel()) {
            throw new IllegalStateException("gradient of " + t + " shares memory with a tensor of another size");
        }
        return g.rank() == t.rank() && java.util.Arrays.equals(g.shape(), t.shape()) ? g : g.reshape(t.shape());
    }

    /**
     * Takes the gradient accumulated for {@code t} away from it (null when none): for an in-place step,
     * whose result shares {@code t}'s memory, the result's gradient is read while the input's gradient
     * starts afresh. Give it back with {@link #releaseDetached}.
     */
    public Tensor detachGrad(Tensor t) {
        Key k = key(t);
        if (bound.contains(k)) {
            throw new IllegalStateException("the gradient of a parameter cannot be detached: " + t);
        }
        Tensor g = grads.remove(k);
        if (g == null) {
            return null;
        }
        if (g.numel() != t.numel()) {
            throw new IllegalStateException("gradient of " + t + " shares memory with a tensor of another size");
        }
        return g.reshape(t.shape());
    }

    /** Returns a gradient taken with {@link #detachGrad} to the allocator. */
    public void releaseDetached(Tensor gradient) {
        allocator.release(gradient);
    }

    /** The gradient accumulated for {@code t} so far, or null when nothing flowed into it. */
    public Tensor existingGrad(Tensor t) {
        Tensor g = grads.get(key(t));
        return g == null || g.numel() != t.numel() ? null : g.reshape(t.shape());
    }

    /** Runs every recorded step in reverse, seeding {@code d loss / d loss = 1} for a one-element loss. */
    public void backward(Tensor loss) {
        if (loss.numel() != 1) {
            throw new IllegalArgumentException("backward needs a one-element loss, got " + loss);
        }
        if (!needsGrad(loss)) {
            throw new IllegalStateException("the loss does not depend on any watched parameter");
        }
        allocator.fill(grad(loss), 1f);
        done = true;
        try {
            for (int i = steps.size() - 1; i >= 0; i--) {
                cursor = i;
                steps.get(i).run();
                steps.set(i, null); // its closure's captured tensors and arrays can go
            }
        } finally {
            cursor = Integer.MAX_VALUE;
        }
        steps.clear();
    }

    /**
     * Whether backward sent a gradient into {@code t}: torch leaves {@code .grad} None for parameters
     * off the loss's path (e.g. the discarded bn1 of AASIST's blocks), and optimisers skip those.
     */
    public boolean receivedGrad(Tensor t) {
        return received.contains(key(t));
    }

    /** Number of recorded steps (for tests and logs). */
    public int size() {
        return steps.size();
    }
}
