package org.sdd4j.model.ssl;

import org.sdd4j.backend.LayerRecorder.Layout;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.InputSpec;
import org.sdd4j.model.ScoreRule;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.model.aasist.ParameterCount;
import org.sdd4j.nn.Linear;
import org.sdd4j.tensor.Tensor;

/**
 * AntiDeepfake (NII, 2025): a post-trained wav2vec 2.0 family encoder, mean over frames, and a
 * linear layer to two classes; inputs are whole utterances normalised over their length, and the
 * score is P(real). Keys: {@code m_ssl.model.<fairseq names>} and {@code proj_fc}.
 */
public final class AntiDeepfake implements SpoofModel {
    public static final String SSL_PREFIX = "m_ssl.model.";

    private final Wav2Vec2Encoder ssl;
    private final Linear projFc;
    private final long parameters;

    public AntiDeepfake(StateDict sd) {
        this(sd, 0);
    }

    /** @param heads the SSL encoder's attention heads, or 0 for the published rule */
    public AntiDeepfake(StateDict sd, int heads) {
        this.ssl = new Wav2Vec2Encoder(sd.subset(SSL_PREFIX), heads, null, SSL_PREFIX);
        this.projFc = Linear.load(sd, "proj_fc", ssl.config().hidden(), 2, true);
        this.parameters = ParameterCount.of(sd);
    }

    public Wav2Vec2Encoder encoder() {
        return ssl;
    }

    @Override
    public String family() {
        return "antideepfake";
    }

    @Override
    public InputSpec input() {
        return InputSpec.WHOLE_NORMALISED;
    }

    @Override
    public ScoreRule scoreRule() {
        return ScoreRule.BONAFIDE_PROBABILITY;
    }

    @Override
    public long parameterCount() {
        return parameters;
    }

    @Override
    public Tensor logits(Ops ops, Tensor waveforms) {
        Tensor pooled = ops.report("pooled", ops.mean(ssl.forward(ops, waveforms), 1), Layout.VECTOR);
        return ops.report("proj_fc", projFc.forward(ops, pooled), Layout.VECTOR);
    }
}
