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
     * @param waveforms utterances already shaped for the model (same length)
     * @param labels    1 bona fide, 0 spoof
     * @param lr        learning rate for this step
     * @param dropout   random source for dropout, or null for none
     */
    public Result run(List<float[]> waveforms, int[] labels, double lr, RandomGenerator dropout) {
        params.zeroGrad();
        double loss;
        try (Ops ops = Ops.training(backend, true, dropout)) {
            params.watch(ops.tape());
            int len = waveforms.get(0).length;
            Tensor x = ops.empty(waveforms.size(), len);
            for (int i = 0; i < waveforms.size(); i++) {
                java.lang.foreign.MemorySegment.copy(waveforms.get(i), 0, x.data(),
                        java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, (long) i * len * 4, len);
            }
            Tensor l = Losses.crossEntropy(ops, model.logits(ops, x), labels, classWeights);
            loss = l.getFloat(0);
            ops.tape().backward(l);
            double norm = Double.isInfinite(clipNorm) ? Double.NaN : GradClip.clip(params, clipNorm);
            var tape = ops.tape();
            optimizer.step(lr, e -> tape.receivedGrad(e.value()));
            return new Result(loss, norm, lr);
        }
    }
}
