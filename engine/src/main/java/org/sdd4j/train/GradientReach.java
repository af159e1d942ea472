package org.sdd4j.train;

import java.util.function.Predicate;
import org.sdd4j.autograd.Tape;

/**
 * Which parameters any micro-batch of a step sent a gradient to. PyTorch leaves {@code .grad} None for the
 * others and Adam skips them (no weight decay, no moment update); each micro-batch has its own tape, so the
 * answer is the union over their tapes.
 */
public final class GradientReach {
    private final Parameters params;
    private final boolean[] reached;

    public GradientReach(Parameters params) {
        this.params = params;
        this.reached = new boolean[params.entries().size()];
    }

    /** Adds the parameters {@code tape}'s backward reached. Call before the tape closes. */
    public void add(Tape tape) {
        for (int i = 0; i < reached.length; i++) {
            reached[i] |= tape.receivedGrad(params.entries().get(i).value());
        }
    }

    /** The union so far, as the optimiser's filter. */
    public Predicate<Parameters.Entry> asFilter() {
        java.util.Map<Parameters.Entry, Boolean> byEntry = new java.util.IdentityHashMap<>();
        for (int i = 0; i < reached.length; i++) {
            byEntry.put(params.entries().get(i), reached[i]);
        }
        return e -> byEntry.getOrDefault(e, false);
    }
}
