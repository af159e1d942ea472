package org.sdd4j.backend;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.sdd4j.tensor.Tensor;

/**
 * When a recording scope's activations can go back to the pool, as PyTorch's reference counting frees
 * them: a block is held by the forward code until the {@link Ops#scoped} body that made it returns (unless
 * it is that body's result, which passes to the enclosing body), and by each recorded backward step that
 * saved it until that step has run. The last holder to let go returns it.
 *
 * <p>Blocks are {@link Backend#take}n tensors, on the backend's device, found by address range, so reshaped
 * views and slices count as their block. With Java assertions on (as in the tests), a returned block is filled
 * with NaN first, so a backward step that reads a tensor it did not declare as saved produces NaN gradients
 * instead of quietly reading stale values.
 */
final class ActivationLifetimes {
    private static final boolean POISON = ActivationLifetimes.class.desiredAssertionStatus();

    private static final class Block {
        final Tensor tensor;
        final long bytes;
        int savers;
        boolean forwardLive = true;

        Block(Tensor tensor) {
            this.tensor = tensor;
            this.bytes = tensor.data().byteSize();
        }

        long address() {
            return tensor.data().address();
        }
    }

    private final Backend backend;
    private final TreeMap<Long, Block> blocks = new TreeMap<>();
    private final Deque<List<Block>> frames = new ArrayDeque<>();

    ActivationLifetimes(Backend backend) {
        this.backend = backend;
        frames.push(new ArrayList<>()); // the scope's own level: lives until the scope closes
    }

    /** Registers a tensor just taken from the backend, held by the innermost running body. */
    void add(Tensor taken) {
        Block b = new Block(taken);
        blocks.put(b.address(), b);
        frames.peek().add(b);
    }

    private Block find(Tensor t) {
        if (t == null) {
            return null;
        }
        long a = t.data().address();
        Map.Entry<Long, Block> e = blocks.floorEntry(a);
        if (e == null || a >= e.getKey() + e.getValue().bytes) {
            return null; // a parameter, an input from outside or a freed activation
        }
        return e.getValue();
    }

    /** Whether {@code t} is a live activation of this scope. */
    boolean owns(Tensor t) {
        return find(t) != null;
    }

    /**
     * Whether {@code t} may be overwritten in place while recording: it is a whole activation block of this
     * scope that no recorded backward step has saved.
     */
    boolean overwritable(Tensor t) {
        Block b = find(t);
        return b != null && b.savers == 0 && b.address() == t.data().address();
    }

    /** Whether {@code a} and {@code b} live in the same activation block. */
    boolean sameBlock(Tensor a, Tensor b) {
        Block x = find(a);
        return x != null && x == find(b);
    }

    /** A backward step keeps these tensors (parameters and nulls are ignored). */
    void save(Tensor[] saved) {
        for (Tensor t : saved) {
            Block b = find(t);
            if (b != null) {
                b.savers++;
            }
        }
    }

    /** The backward step that kept these tensors has run. */
    void unsave(Tensor[] saved) {
        for (Tensor t : saved) {
            Block b = find(t);
            if (b != null && --b.savers == 0 && !b.forwardLive) {
                free(b);
            }
        }
    }

    /** A {@link Ops#scoped} body begins: what it allocates is held until it returns. */
    void enter() {
        frames.push(new ArrayList<>());
    }

    /**
     * The body returned {@code result}: its block passes to the enclosing body; every other block the body
     * made is dead to the forward code, and is freed now unless a backward step saved it.
     */
    void exit(Tensor result) {
        List<Block> made = frames.pop();
        Block kept = find(result);
        for (Block b : made) {
            if (b == kept) {
                frames.peek().add(b);
            } else {
                b.forwardLive = false;
                if (b.savers == 0) {
                    free(b);
                }
            }
        }
    }

    private void free(Block b) {
        blocks.remove(b.address());
        if (POISON) {
            backend.fill(b.tensor, Float.NaN);
        }
        backend.release(b.tensor);
    }

    /** Returns every block still held: the scope is closing. */
    void close() {
        for (Block b : blocks.values()) {
            backend.release(b.tensor);
        }
        blocks.clear();
        frames.clear();
    }
}
