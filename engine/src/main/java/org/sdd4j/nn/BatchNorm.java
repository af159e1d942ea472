package org.sdd4j.nn;

import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.Tensor;

/** torch.nn.BatchNorm1d/2d in inference mode: running statistics, eps 1e-5, channels on dim 1. */
public record BatchNorm(Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar) {
    public static final float EPS = 1e-5f;

    public static BatchNorm load(StateDict sd, String prefix, int channels) {
        return new BatchNorm(sd.require(prefix + ".weight", channels), sd.require(prefix + ".bias", channels),
                sd.require(prefix + ".running_mean", channels), sd.require(prefix + ".running_var", channels));
    }

    /** torch's default momentum for the running statistics. */
    public static final float MOMENTUM = 0.1f;

    /** Batch statistics (running statistics updated) in a training scope; running statistics otherwise. */
    public Tensor forward(Ops ops, Tensor x) {
        return ops.training() ? ops.batchNormTrain(x, runningMean, runningVar, weight, bias, MOMENTUM, EPS)
                : ops.batchNorm(x, runningMean, runningVar, weight, bias, EPS);
    }

    /** Normalises {@code x} in place and returns it (saves a copy of large activations). */
    public Tensor forwardInPlace(Ops ops, Tensor x) {
        return ops.training() ? forward(ops, x) : ops.batchNormInPlace(x, runningMean, runningVar, weight, bias, EPS);
    }

    /** For node features {@code [B, N, D]}: normalises D as BatchNorm1d does on {@code view(-1, D)}. */
    public Tensor forwardNodes(Ops ops, Tensor x) {
        int d = x.dim(-1);
        return forward(ops, x.reshape(-1, d)).reshape(x.shape());
    }
}
