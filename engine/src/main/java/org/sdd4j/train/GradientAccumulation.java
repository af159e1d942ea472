package org.sdd4j.train;

/**
 * How an epoch's batches group into optimiser steps under {@code accumulate_steps}: consecutive runs of
 * {@code microBatches} batches, counted from the start of the epoch, the last run of an epoch possibly shorter.
 * Groups never span epochs, so a checkpoint (always taken after a step) resumes on a group boundary.
 */
record GradientAccumulation(int microBatches) {
    GradientAccumulation {
        if (microBatches < 1) {
            throw new IllegalArgumentException("accumulate_steps must be >= 1, got " + microBatches);
        }
    }

    /** Optimiser steps in an epoch of {@code batches} batches. */
    long stepsPerEpoch(long batches) {
        return (batches + microBatches - 1) / microBatches;
    }

    /** Whether the step is taken once {@code consumed} of the epoch's {@code batches} batches have been read. */
    boolean endsStep(int consumed, int batches) {
        return consumed % microBatches == 0 || consumed >= batches;
    }

    /**
     * The position that seeds micro-batch {@code index} of step {@code step}'s random draws (dropout, GRPO's label
     * samples): {@code step} itself without accumulation, so runs with {@code accumulate_steps: 1} draw as before.
     */
    long randomPosition(long step, int index) {
        return step * microBatches + index;
    }
}
