package org.sdd4j.model.ssl;

import org.sdd4j.backend.Activation;
import org.sdd4j.backend.LayerRecorder.Layout;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.InputSpec;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.model.aasist.AasistConfig;
import org.sdd4j.model.aasist.GraphBackEnd;
import org.sdd4j.model.aasist.ParameterCount;
import org.sdd4j.model.aasist.ResidualBlock;
import org.sdd4j.nn.BatchNorm;
import org.sdd4j.nn.Conv2d;
import org.sdd4j.nn.Linear;
import org.sdd4j.tensor.Tensor;

/**
 * SSL-AASIST (Tak et al., Odyssey 2022; "Wav2Vec2-AASIST"): a wav2vec 2.0 family encoder, a linear
 * map to 128, the residual encoder without pooling, attentive spectral/temporal pooling, and the
 * AASIST graph back end. Checkpoint keys: {@code ssl_model.model.<fairseq names>} plus the back end.
 */
public final class SslAasist implements SpoofModel {
    public static final String SSL_PREFIX = "ssl_model.model.";

    private final Wav2Vec2Encoder ssl;
    private final Linear ll;
    private final BatchNorm firstBn;
    private final ResidualBlock[] encoder = new ResidualBlock[6];
    private final BatchNorm firstBn1;
    private final Conv2d att0;
    private final BatchNorm att2;
    private final Conv2d att3;
    private final Tensor posS;
    private final GraphBackEnd graph;
    private final long parameters;

    public SslAasist(StateDict sd) {
        this(sd, 0);
    }

    /** @param heads the SSL encoder's attention heads, or 0 for the published rule */
    public SslAasist(StateDict sd, int heads) {
        AasistConfig c = AasistConfig.SSL_AASIST;
        this.ssl = new Wav2Vec2Encoder(sd.subset(SSL_PREFIX), heads, null, SSL_PREFIX);
        this.ll = Linear.load(sd, "LL", ssl.config().hidden(), 128, true);
        this.firstBn = BatchNorm.load(sd, "first_bn", 1);
        for (int i = 0; i < 6; i++) {
            int[] f = c.block(i);
            encoder[i] = new ResidualBlock(sd, "encoder." + i + ".0", f[0], f[1], i == 0, false);
        }
        int ch = c.encoderChannels();
        this.firstBn1 = BatchNorm.load(sd, "first_bn1", ch);
        this.att0 = Conv2d.load(sd, "attention.0", ch, 128, 1, 1, 0, 0);
        this.att2 = BatchNorm.load(sd, "attention.2", 128);
        this.att3 = Conv2d.load(sd, "attention.3", 128, ch, 1, 1, 0, 0);
        this.posS = sd.require("pos_S", 1, 42, ch);
        this.graph = new GraphBackEnd(sd, c);
        this.parameters = ParameterCount.of(sd);
    }

    public Wav2Vec2Encoder encoder() {
        return ssl;
    }

    @Override
    public String family() {
        return "ssl-aasist";
    }

    @Override
    public InputSpec input() {
        return InputSpec.FIXED_64600;
    }

    @Override
    public long parameterCount() {
        return parameters;
    }

    @Override
    public Tensor logits(Ops ops, Tensor waveforms) {
        Tensor feat = ops.report("LL", ops.scoped(o -> ll.forward(o, ssl.forward(o, waveforms))),
                Layout.FRAMES);                                                   // [B, frames, 128]
        int b = feat.dim(0);
        Tensor x = ops.transpose(feat, 1, 2);
        x = x.reshape(b, 1, x.dim(1), x.dim(2));
        x = ops.maxPool2d(x, 3, 3);
        x = ops.report("first_bn", ops.actInPlace(Activation.SELU, firstBn.forward(ops, x)), Layout.FEATURE_MAP);
        for (int i = 0; i < encoder.length; i++) {
            Tensor in = x;
            ResidualBlock block = encoder[i];
            x = ops.report(ResidualBlock.ENCODER_NAMES.get(i), ops.scoped(o -> block.forward(o, in)),
                    Layout.FEATURE_MAP);
        }
        x = ops.report("first_bn1", ops.actInPlace(Activation.SELU, firstBn1.forward(ops, x)),
                Layout.FEATURE_MAP);                                                // [B, C, F, T]
        Tensor w = att3.forward(ops, att2.forward(ops, ops.actInPlace(Activation.SELU, att0.forward(ops, x))));
        Tensor spectral = ops.addInPlace(ops.transpose(AttentivePooling.sum(ops, x, w, 3), 1, 2), posS);
        Tensor temporal = ops.transpose(AttentivePooling.sum(ops, x, w, 2), 1, 2);
        return graph.forward(ops, spectral, temporal);
    }
}
