package org.sdd4j.nn;

import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.Tensor;

/** torch.nn.Conv2d with stride 1 (every 2-D convolution of these models) and symmetric padding. */
public record Conv2d(Tensor weight, Tensor bias, int padH, int padW) {

    public static Conv2d load(StateDict sd, String prefix, int in, int out, int kh, int kw, int padH, int padW) {
        return new Conv2d(sd.require(prefix + ".weight", out, in, kh, kw), sd.require(prefix + ".bias", out), padH,
                padW);
    }

    public Tensor forward(Ops ops, Tensor x) {
        return ops.conv2d(x, weight, bias, 1, 1, padH, padW, 1);
    }
}
