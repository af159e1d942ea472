package org.sdd4j.nn;

import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.Tensor;

/** torch.nn.Linear: {@code y = x W^T + b} over the last dimension. */
public record Linear(Tensor weight, Tensor bias) {

    /** Loads {@code prefix.weight} {@code [out, in]} and, if {@code hasBias}, {@code prefix.bias}. */
    public static Linear load(StateDict sd, String prefix, int in, int out, boolean hasBias) {
        return new Linear(sd.require(prefix + ".weight", out, in), hasBias ? sd.require(prefix + ".bias", out) : null);
    }

    /** Loads a linear layer whose sizes are read from its weight. */
    public static Linear load(StateDict sd, String prefix) {
        Tensor w = sd.require(prefix + ".weight");
        return new Linear(w, sd.get(prefix + ".bias").orElse(null));
    }

    public int in() {
        return weight.dim(1);
    }

    public int out() {
        return weight.dim(0);
    }

    public Tensor forward(Ops ops, Tensor x) {
        return ops.linear(x, weight, bias);
    }
}
