package org.sdd4j.train;

import java.util.List;
import java.util.random.RandomGenerator;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Ops;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.tensor.Tensor;

/**
 * One supervised step: forward in training mode with the tape on, weighted cross-entropy, backward
 * into the flat gradient block, gradient-norm clipping and an Adam(W) update. The same model object
 * scores afterwards: its tensors are the {@link Parameters} block that was just updated.
 */
public final class TrainStep {
    /** What one step measured. */
    public record Result(double loss, double gradNorm, double lr) {
    }

    private final SpoofModel model;
    private final Parameters params;
    private final Adam optimizer;
    private final Backend backend;
    private final float[] classWeights;
    private final double clipNorm;

    /**
     * @param classWeights cross-entropy weights per class ({@code [spoof, bona fide]}), or null
     * @param clipNorm     maximum gradient norm, or {@code Double.POSITIVE_INFINITY} for none
     */
    public TrainStep(SpoofModel model, Parameters params, Adam optimizer, Backend backend, float[] classWeights,
                     double clipNorm) {
        this.model = model;
        this.params = params;
        this.optimizer = optimizer;
        this.backend = backend;
        this.classWeights = classWeights;
        this.clipNorm = clipNorm;
    }

    /**
     * One micro-batch of an accumulated step.
     *
     * @param waveforms utterances already shaped for the model (same length)
     * @param labels    1 bona fide, 0 spoof
     * @param dropout   random source for dropout, or null for none
     */
    public record MicroBatch(List<float[]> waveforms, int[] labels, RandomGenerator dropout) {
    }

    /**
     * @param waveforms utterances already shaped for the model (same length)
     * @param labels    1 bona fide, 0 spoof
     * @param lr        learning rate for this step
     * @param dropout   random source for dropout, or null for none
     */
    public Result run(List<float[]> waveforms, int[] labels, double lr, RandomGenerator dropout) {
        return run(List.of(new MicroBatch(waveforms, labels, dropout)), lr);
    }

    /**
     * One optimiser step over gradients accumulated from {@code microBatches}, as PyTorch's usual loop does it:
     * each micro-batch's loss divided by their number, backward (gradients add up), then one clip and one update.
     * Each micro-batch has its own forward scope, so activations are held for one micro-batch at a time. With
     * equal class-weight sums per micro-batch (or no class weights and equal sizes) the step equals one step on
     * the concatenated batch. The reported loss is the mean of the micro-batch losses.
     */
    public Result run(List<MicroBatch> microBatches, double lr) {
        if (microBatches.isEmpty()) {
            throw new IllegalArgumentException("a step needs at least one micro-batch");
        }
        params.zeroGrad();
        int n = microBatches.size();
        GradientReach reach = new GradientReach(params);
        double loss = 0;
        for (MicroBatch mb : microBatches) {
            try (Ops ops = Ops.training(backend, true, mb.dropout())) {
                params.watch(ops.tape());
                Tensor x = MethodStep.stack(ops, mb.waveforms());
                Tensor l = Losses.crossEntropy(ops, model.logits(ops, x), mb.labels(), classWeights);
                loss += ops.scalar(l);
                ops.tape().backward(n == 1 ? l : ops.divide(l, n));
                reach.add(ops.tape());
            }
        }
        double norm = Double.isInfinite(clipNorm) ? Double.NaN : GradClip.clip(params, clipNorm);
        optimizer.step(lr, reach.asFilter());
        return new Result(loss / n, norm, lr);
    }
}
