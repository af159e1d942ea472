package org.sdd4j.model.aasist;

import org.sdd4j.backend.Activation;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.nn.BatchNorm;
import org.sdd4j.nn.Conv2d;
import org.sdd4j.tensor.Tensor;

/**
 * The RawNet-style residual block of AASIST and SSL-AASIST, as the reference computes it:
 * {@code conv2(SELU(BN2(conv1(x)))) + identity}, optionally followed by MaxPool2d((1, 3)).
 *
 * <p>Quirk kept on purpose: non-first blocks hold {@code bn1}, whose output the reference computes
 * and discards ({@code conv1} reads {@code x}). In inference it has no effect, so it is loaded (the
 * checkpoint must have it) but not evaluated.
 */
public final class ResidualBlock {
    /** The names the encoder's blocks report their outputs under ({@link Ops#report}): their checkpoint modules. */
    public static final java.util.List<String> ENCODER_NAMES =
            java.util.stream.IntStream.range(0, 6).mapToObj(i -> "encoder." + i).toList();

    private final BatchNorm bn1;
    private final Conv2d conv1;
    private final BatchNorm bn2;
    private final Conv2d conv2;
    private final Conv2d downsample;
    private final boolean maxPool;

    public ResidualBlock(StateDict sd, String prefix, int in, int out, boolean first, boolean maxPool) {
        this.bn1 = first ? null : BatchNorm.load(sd, prefix + ".bn1", in);
        this.conv1 = Conv2d.load(sd, prefix + ".conv1", in, out, 2, 3, 1, 1);
        this.bn2 = BatchNorm.load(sd, prefix + ".bn2", out);
        this.conv2 = Conv2d.load(sd, prefix + ".conv2", out, out, 2, 3, 0, 1);
        this.downsample = in != out ? Conv2d.load(sd, prefix + ".conv_downsample", in, out, 1, 3, 0, 1) : null;
        this.maxPool = maxPool;
    }

    public Tensor forward(Ops ops, Tensor x) {
        if (bn1 != null && ops.training()) {
            bn1.forward(ops, x); // the reference's discarded selu(bn1(x)): only its running statistics change
        }
        Tensor out = ops.actInPlace(Activation.SELU, bn2.forwardInPlace(ops, conv1.forward(ops, x)));
        out = ops.addInPlace(conv2.forward(ops, out), downsample != null ? downsample.forward(ops, x) : x);
        return maxPool ? ops.maxPool2d(out, 1, 3) : out;
    }
}
