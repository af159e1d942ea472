package org.sdd4j.train;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.sdd4j.backend.Ops;
import org.sdd4j.tensor.Tensor;

/**
 * What one training method (SFT, GRPO) does with a batch; {@link Trainer} owns everything around it (data,
 * schedule, logging, checkpoints), so every method shares one loop.
 */
@FunctionalInterface
public interface MethodStep extends AutoCloseable {
    /** What one step measured: the loss, the gradient norm before clipping (NaN: none), and named extras for the log. */
    record Report(double loss, double gradNorm, double lr, Map<String, Double> metrics) {
    }

    /**
     * One batch of a step (several under {@code accumulate_steps}).
     *
     * @param waveforms utterances already shaped for the model (same length)
     * @param labels    1 bona fide, 0 spoof
     * @param position  where this batch's random draws are seeded (the step itself without accumulation)
     * @param dropout   a fresh dropout generator on each call (same stream every time), or null for no dropout:
     *                  passes that must see the same masks each take their own copy
     */
    record MicroBatch(List<float[]> waveforms, int[] labels, long position, Supplier<RandomGenerator> dropout) {
    }

    /**
     * One optimiser step over gradients accumulated from {@code microBatches} (each loss divided by their number).
     *
     * @param step global step about to be taken (0-based)
     */
    Report run(List<MicroBatch> microBatches, long step, double lr);

    /** The utterances of one batch as a {@code [B, T]} tensor in {@code ops}; they must share one length. */
    static Tensor stack(Ops ops, List<float[]> waveforms) {
        int len = waveforms.get(0).length;
        for (float[] w : waveforms) {
            if (w.length != len) {
                throw new IllegalArgumentException("utterances of one batch differ in length: " + len + " and "
                        + w.length + " samples");
            }
        }
        Tensor x = ops.empty(waveforms.size(), len);
        ops.writeFromHost(x, host -> {
            for (int i = 0; i < waveforms.size(); i++) {
                MemorySegment.copy(waveforms.get(i), 0, host.data(), ValueLayout.JAVA_FLOAT_UNALIGNED,
                        (long) i * len * 4, len);
            }
        });
        return x;
    }

    /** Weight blocks besides the policy that a checkpoint taken after {@code steps} steps must hold to resume. */
    default Map<String, Parameters> checkpointState(long steps) {
        return Map.of();
    }

    /** Restores what {@link #checkpointState} saved (called after the policy and optimiser are restored). */
    default void restore(CheckpointStore store, Path checkpoint, long steps) throws IOException {
    }

    /** Memory the method holds beyond the policy, for the log at start ("" when nothing). */
    default String memoryReport() {
        return "";
    }

    @Override
    default void close() {
    }
}
