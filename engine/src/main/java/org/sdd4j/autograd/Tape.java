package org.sdd4j.autograd;

import java.util.ArrayList;
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
 */
public final class Tape {
    private final List<Runnable> steps = new ArrayList<>();
    private final Map<Long, Tensor> grads = new HashMap<>();
    private final Set<Long> needsGrad = new HashSet<>();
    private final Set<Long> received = new HashSet<>();
    private final Set<Long> bound = new HashSet<>();
    private final GradAllocator allocator;
    private boolean done;

    /** Allocates zero-filled gradient tensors and takes them back once backward is done with them. */
    public interface GradAllocator {
        Tensor zeros(int... shape);

        void release(Tensor gradient);
    }

    public Tape(GradAllocator allocator) {
        this.allocator = allocator;
    }

    private static long key(Tensor t) {
        return t.data().address();
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
        if (storage.numel() != parameter.numel()) {
            throw new IllegalArgumentException("gradient storage " + storage + " does not fit " + parameter);
        }
        grads.put(key(parameter), storage);
        bound.add(key(parameter));
    }

    /**
     * Frees the gradient of an intermediate result once the step that produced it has run: nothing recorded
     * before that step reads it, so backward holds only the gradients still in flight, as PyTorch does.
     */
    public void release(Tensor t) {
        long k = key(t);
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
        grad(loss).setFloat(0, 1f);
        done = true;
        for (int i = steps.size() - 1; i >= 0; i--) {
            steps.get(i).run();
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
