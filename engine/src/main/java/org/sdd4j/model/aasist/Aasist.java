package org.sdd4j.model.aasist;

import org.sdd4j.backend.Activation;
import org.sdd4j.backend.LayerRecorder.Layout;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.InputSpec;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.nn.BatchNorm;
import org.sdd4j.tensor.Tensor;

/**
 * AASIST (Jung et al., ICASSP 2022) and AASIST-L: fixed sinc filter bank on the raw waveform, a
 * residual encoder over the (filter, time) plane, and the spectro-temporal graph back end.
 */
public final class Aasist implements SpoofModel {
    private static final int SAMPLE_RATE = 16_000;

    private final AasistConfig config;
    private final Tensor sinc;
    private final BatchNorm firstBn;
    private final ResidualBlock[] encoder = new ResidualBlock[6];
    private final Tensor posS;
    private final GraphBackEnd graph;
    private final long parameters;

    public Aasist(StateDict sd, AasistConfig config) {
        this.config = config;
        float[] bank = SincFilters.bank(config.sincFilters(), config.firstConv(), SAMPLE_RATE);
        int k = bank.length / config.sincFilters();
        this.sinc = Tensor.of(sd.arena(), bank, config.sincFilters(), 1, k);
        this.firstBn = BatchNorm.load(sd, "first_bn", 1);
        for (int i = 0; i < 6; i++) {
            int[] f = config.block(i);
            encoder[i] = new ResidualBlock(sd, "encoder." + i + ".0", f[0], f[1], i == 0, true);
        }
        int bands = config.sincFilters() / 3;
        this.posS = sd.require("pos_S", 1, bands, config.encoderChannels());
        this.graph = new GraphBackEnd(sd, config);
        this.parameters = ParameterCount.of(sd);
    }

    public AasistConfig config() {
        return config;
    }

    @Override
    public String family() {
        return "aasist";
    }

    @Override
    public InputSpec input() {
        return new InputSpec(config.samples(), false);
    }

    @Override
    public long parameterCount() {
        return parameters;
    }

    @Override
    public Tensor logits(Ops ops, Tensor waveforms) {
        // Each stage runs in its own scope: only one stage's activations are alive at a time.
        Tensor x = ops.report("front_end", ops.scoped(o -> frontEnd(o, waveforms)), Layout.FEATURE_MAP);
        for (int i = 0; i < encoder.length; i++) {
            Tensor in = x;
            ResidualBlock block = encoder[i];
            x = ops.report(ResidualBlock.ENCODER_NAMES.get(i), ops.scoped(o -> block.forward(o, in)),
                    Layout.FEATURE_MAP);
        }
        // x: [B, C, bands, frames]. Spectral nodes: max over time of |x|; temporal: max over bands.
        Tensor spectral = ops.addInPlace(ops.transpose(ops.max(x, 3, true), 1, 2), posS);
        Tensor temporal = ops.transpose(ops.max(x, 2, true), 1, 2);
        return graph.forward(ops, spectral, temporal);
    }

    /** Sinc filter bank, |.|, MaxPool2d(3, 3), BatchNorm, SELU: {@code [B, T]} to {@code [B, 1, bands, frames]}. */
    private Tensor frontEnd(Ops ops, Tensor waveforms) {
        int b = waveforms.dim(0), t = waveforms.dim(1);
        Tensor x = ops.conv1d(waveforms.reshape(b, 1, t), sinc, null, 1, 0, 1);
        x = ops.actInPlace(Activation.ABS, x.reshape(b, 1, x.dim(1), x.dim(2)));
        x = ops.maxPool2d(x, 3, 3);
        return ops.actInPlace(Activation.SELU, firstBn.forwardInPlace(ops, x));
    }
}
