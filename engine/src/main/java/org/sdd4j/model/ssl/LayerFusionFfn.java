package org.sdd4j.model.ssl;

import java.util.List;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.CheckpointException;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.InputSpec;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.model.aasist.ParameterCount;
import org.sdd4j.nn.Linear;
import org.sdd4j.tensor.Tensor;

/**
 * The layer-fusion FFN head (EnvSSLAM-FFN, ESDD 2026; DESIGN.md 3.4): a frozen wav2vec 2.0 family encoder whose
 * hidden states {@code first..last} are fused with learned softmax weights, then mean over frames,
 * {@code Linear(D, hidden)}, activation, dropout, {@code Linear(hidden, 2)}.
 *
 * <p>Checkpoint layout (PyTorch names, as {@code nn.Sequential(Linear, act, Dropout, Linear)} would save them):
 * <ul>
 *   <li>{@code ssl_model.model.<encoder>}: the encoder under SSL-AASIST's prefix, fairseq or Hugging Face names
 *       ({@code m_ssl.model.}, AntiDeepfake's prefix, is read as well);</li>
 *   <li>{@code fusion.layer_logits} {@code [K]}: one logit per fused hidden state, K = last - first + 1;</li>
 *   <li>{@code ffn.0.weight} {@code [hidden, D]}, {@code ffn.0.bias}, {@code ffn.3.weight} {@code [2, hidden]},
 *       {@code ffn.3.bias};</li>
 * </ul>
 * and {@code config.json} beside the weights ({@link LayerFusionConfig}): which hidden states, the activation,
 * dropout and input length, none of which the weights reveal.
 *
 * <p>Hidden state i is numbered as transformers 5 and fairseq number layer outputs: 0 is the transformer input,
 * i the output of layer i (for pre-LN encoders, before the final LayerNorm). Scores are the bona fide logit.
 *
 * <p>When no encoder weight is watched by the scope's tape (the encoder is frozen), the encoder runs in an
 * inference scope of its own, untaped and layer by layer, only as deep as the last fused layer: a training step
 * costs one encoder inference plus the head's forward and backward, and keeps none of the encoder's activations.
 */
public final class LayerFusionFfn implements SpoofModel {
    public static final String FAMILY = "layer-fusion";
    public static final String SSL_PREFIX = SslAasist.SSL_PREFIX;
    public static final String LAYER_LOGITS = "fusion.layer_logits";
    public static final String FFN_IN = "ffn.0";
    public static final String FFN_OUT = "ffn.3";

    private final LayerFusionConfig config;
    private final Wav2Vec2Encoder ssl;
    private final Tensor layerLogits;
    private final Linear ffnIn;
    private final Linear ffnOut;
    private final long parameters;

    /**
     * @throws CheckpointException when a tensor is missing or mis-shaped, or the encoder lacks a fused layer
     */
    public LayerFusionFfn(StateDict sd, LayerFusionConfig config) {
        this.config = config;
        String prefix = encoderPrefix(sd);
        this.ssl = new Wav2Vec2Encoder(sd.subset(prefix), 0);
        if (config.lastLayer() > ssl.config().layers()) {
            throw new CheckpointException(sd.source(), "layer fusion reads hidden states " + config.firstLayer() + ".."
                    + config.lastLayer() + ", but the encoder has " + ssl.config().layers() + " layers (hidden states 0.."
                    + ssl.config().layers() + ")");
        }
        int d = ssl.config().hidden();
        this.layerLogits = sd.require(LAYER_LOGITS, config.layerCount());
        Tensor w = sd.require(FFN_IN + ".weight");
        if (w.rank() != 2 || w.dim(1) != d) {
            throw new CheckpointException(sd.source(), FFN_IN + ".weight has shape " + java.util.Arrays.toString(w.shape())
                    + ", expected [hidden, " + d + "] for the encoder's " + d + "-dimensional output");
        }
        this.ffnIn = Linear.load(sd, FFN_IN, d, w.dim(0), true);
        this.ffnOut = Linear.load(sd, FFN_OUT, w.dim(0), 2, true);
        this.parameters = ParameterCount.of(sd.subset(prefix)) + layerLogits.numel() + ffnIn.weight().numel()
                + ffnIn.bias().numel() + ffnOut.weight().numel() + ffnOut.bias().numel();
    }

    /** The encoder's prefix in a layer-fusion checkpoint: SSL-AASIST's, or AntiDeepfake's when only that is there. */
    static String encoderPrefix(StateDict sd) {
        boolean ssl = sd.keys().stream().anyMatch(k -> k.startsWith(SSL_PREFIX));
        return ssl || sd.keys().stream().noneMatch(k -> k.startsWith(AntiDeepfake.SSL_PREFIX)) ? SSL_PREFIX
                : AntiDeepfake.SSL_PREFIX;
    }

    public LayerFusionConfig config() {
        return config;
    }

    public Wav2Vec2Encoder encoder() {
        return ssl;
    }

    /** The FFN's hidden width. */
    public int hidden() {
        return ffnIn.out();
    }

    @Override
    public String family() {
        return FAMILY;
    }

    @Override
    public InputSpec input() {
        return new InputSpec(config.inputLength(), false);
    }

    @Override
    public long parameterCount() {
        return parameters;
    }

    @Override
    public Tensor logits(Ops ops, Tensor waveforms) {
        int b = waveforms.dim(0), d = ssl.config().hidden(), k = config.layerCount();
        Tensor pooled = pooledHiddenStates(ops, waveforms);                       // [B, D, K]
        // sum_k softmax(logits)_k * mean_t h_k: the fusion and the frame mean commute, so the mean comes first and
        // the fusion is a K-input linear map with the softmax weights as its weight row.
        Tensor weights = ops.softmax(layerLogits.reshape(1, k));
        Tensor fused = ops.linear(pooled, weights, null).reshape(b, d);
        Tensor h = ops.actInPlace(config.activation(), ffnIn.forward(ops, fused));
        return ffnOut.forward(ops, ops.dropout(h, config.ffnDropout()));
    }

    /** The frame means of the fused hidden states, {@code [B, D, K]}. */
    private Tensor pooledHiddenStates(Ops ops, Tensor waveforms) {
        int b = waveforms.dim(0), d = ssl.config().hidden(), k = config.layerCount();
        if (ssl.watchedBy(ops.tape())) {
            // The encoder is being trained: every operation is taped in the caller's scope.
            List<Tensor> states = ssl.hiddenStates(ops, waveforms, config.lastLayer());
            Tensor[] means = new Tensor[k];
            for (int i = 0; i < k; i++) {
                means[i] = ops.mean(states.get(config.firstLayer() + i), 1).reshape(b, d, 1);
            }
            return ops.concat(2, means);
        }
        Tensor pooled = ops.empty(b, d, k);
        try (Ops inference = new Ops(ops.backend())) {
            List<Tensor> states = ssl.hiddenStates(inference, waveforms, config.lastLayer());
            for (int i = 0; i < k; i++) {
                Tensor mean = inference.mean(states.get(config.firstLayer() + i), 1);   // [B, D]
                // pooled[j, i] = mean[j]: column i of the [B*D, K] block, written where the tensors live.
                ops.backend().copyBlocks(mean, 0, 1, pooled, i, k, (long) b * d, 1, false);
            }
        }
        return pooled;
    }
}
