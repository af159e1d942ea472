package org.sdd4j.model.ssl;

import java.util.ArrayList;
import java.util.List;
import org.sdd4j.backend.Activation;
import org.sdd4j.backend.LayerRecorder.Layout;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.nn.Linear;
import org.sdd4j.nn.WeightNorm;
import org.sdd4j.tensor.Tensor;

/**
 * The wav2vec 2.0 family encoder (wav2vec 2.0, XLS-R, MMS, HuBERT-style): a strided conv feature
 * extractor, a feature projection, a grouped positional convolution with weight norm, and a pre-LN or
 * post-LN transformer (DESIGN.md 3.2). Any size: dimensions come from the weights.
 */
public final class Wav2Vec2Encoder {
    private static final float EPS = 1e-5f;

    private final Wav2Vec2Config config;
    private final Tensor[] convWeight;
    private final Tensor[] convBias;
    private final Tensor[][] convNorm;
    private final Tensor projNormWeight;
    private final Tensor projNormBias;
    private final Linear projection;
    private final Tensor posWeight;
    private final Tensor[] posFactors;
    private final java.lang.foreign.Arena weightArena;
    /**
     * The weight-normalised positional kernel for inference, on the device of the backend that computed it
     * ({@link #posWeightBackend}), recomputed after any training pass or for another backend.
     */
    private Tensor posWeightBuffer;
    private org.sdd4j.backend.Backend posWeightBackend;
    private volatile boolean posWeightValid;
    private final Tensor posBias;
    private final Tensor encoderNormWeight;
    private final Tensor encoderNormBias;
    private final List<Layer> layers = new ArrayList<>();
    /** Reported names (the checkpoint's module names, with the weights' prefix in the whole checkpoint). */
    private final String extractorName;
    private final String[] layerNames;

    private record Layer(Linear q, Linear k, Linear v, Linear out, Tensor attnNormW, Tensor attnNormB, Linear fc1,
                         Linear fc2, Tensor finalNormW, Tensor finalNormB) {
    }

    /**
     * @param sd    weights with the encoder's own names (fairseq or Hugging Face), prefix already removed
     * @param heads attention heads, or 0 to use the published rule
     */
    public Wav2Vec2Encoder(StateDict sd, int heads) {
        this(sd, heads, null);
    }

    /** As {@link #Wav2Vec2Encoder(StateDict, int)}, with the transformer's norm placement given (null: inferred). */
    public Wav2Vec2Encoder(StateDict sd, int heads, Boolean preLayerNorm) {
        this(sd, heads, preLayerNorm, "");
    }

    /**
     * As {@link #Wav2Vec2Encoder(StateDict, int, Boolean)}, for weights that sit under {@code reportPrefix} in
     * the model's checkpoint: the layer outputs it {@link Ops#report reports} are named
     * {@code <reportPrefix>feature_extractor} and {@code <reportPrefix>encoder.layers.<i>}.
     */
    public Wav2Vec2Encoder(StateDict sd, int heads, Boolean preLayerNorm, String reportPrefix) {
        Wav2Vec2Weights w = new Wav2Vec2Weights(sd);
        this.config = Wav2Vec2Config.infer(w, heads, preLayerNorm);
        int n = config.convChannels().length;
        convWeight = new Tensor[n];
        convBias = new Tensor[n];
        convNorm = new Tensor[n][];
        for (int i = 0; i < n; i++) {
            String p = "feature_extractor.conv_layers." + i;
            convWeight[i] = w.require(p + ".0.weight");
            convBias[i] = config.convBias() ? w.require(p + ".0.bias", config.convChannels()[i]) : null;
            int c = config.convChannels()[i];
            if (config.layerNormExtractor()) {
                convNorm[i] = new Tensor[] {w.require(p + ".2.1.weight", c), w.require(p + ".2.1.bias", c)};
            } else if (i == 0) {
                convNorm[i] = new Tensor[] {w.require(p + ".2.weight", c), w.require(p + ".2.bias", c)};
            }
        }
        int c = config.convChannels()[n - 1], d = config.hidden();
        projNormWeight = w.require("layer_norm.weight", c);
        projNormBias = w.require("layer_norm.bias", c);
        projection = new Linear(w.require("post_extract_proj.weight", d, c), w.require("post_extract_proj.bias", d));
        posFactors = w.positionalConvFactors();
        weightArena = sd.arena();
        posWeight = posFactors == null ? w.positionalConvWeight() : null;
        posBias = w.require("encoder.pos_conv.0.bias", d);
        encoderNormWeight = w.require("encoder.layer_norm.weight", d);
        encoderNormBias = w.require("encoder.layer_norm.bias", d);
        for (int i = 0; i < config.layers(); i++) {
            String p = "encoder.layers." + i;
            layers.add(new Layer(linear(w, p + ".self_attn.q_proj", d, d), linear(w, p + ".self_attn.k_proj", d, d),
                    linear(w, p + ".self_attn.v_proj", d, d), linear(w, p + ".self_attn.out_proj", d, d),
                    w.require(p + ".self_attn_layer_norm.weight", d), w.require(p + ".self_attn_layer_norm.bias", d),
                    linear(w, p + ".fc1", d, config.ffn()), linear(w, p + ".fc2", config.ffn(), d),
                    w.require(p + ".final_layer_norm.weight", d), w.require(p + ".final_layer_norm.bias", d)));
        }
        extractorName = reportPrefix + "feature_extractor";
        layerNames = new String[config.layers()];
        for (int i = 0; i < layerNames.length; i++) {
            layerNames[i] = reportPrefix + "encoder.layers." + i;
        }
    }

    private static Linear linear(Wav2Vec2Weights w, String p, int in, int out) {
        return new Linear(w.require(p + ".weight", out, in), w.require(p + ".bias", out));
    }

    public Wav2Vec2Config config() {
        return config;
    }

    /** Output features {@code [B, frames, D]} of waveforms {@code [B, T]}. */
    public Tensor forward(Ops ops, Tensor waveforms) {
        return forward(ops, waveforms, null);
    }

    /**
     * As {@link #forward(Ops, Tensor)}, also collecting hidden states as Hugging Face numbers them
     * (0: transformer input after the positional conv (and, post-LN, the first LayerNorm); i: after layer i).
     */
    public Tensor forward(Ops ops, Tensor waveforms, List<Tensor> hiddenStates) {
        Tensor x = embed(ops, waveforms);
        if (hiddenStates != null) {
            hiddenStates.add(x);
        }
        for (int i = 0; i < layers.size(); i++) {
            x = layer(ops, i, x);
            if (hiddenStates != null) {
                hiddenStates.add(x);
            }
        }
        return config.preLayerNorm() ? ops.layerNorm(x, encoderNormWeight, encoderNormBias, EPS) : x;
    }

    /**
     * Hidden states 0..{@code upTo} (numbered as {@link #forward(Ops, Tensor, List)} numbers them), running only
     * the first {@code upTo} transformer layers: a head that reads middle layers skips the rest of the encoder.
     */
    public List<Tensor> hiddenStates(Ops ops, Tensor waveforms, int upTo) {
        if (upTo < 0 || upTo > config.layers()) {
            throw new IllegalArgumentException("hidden state " + upTo + " does not exist: the encoder has "
                    + config.layers() + " layers (hidden states 0.." + config.layers() + ")");
        }
        List<Tensor> states = new ArrayList<>(upTo + 1);
        Tensor x = embed(ops, waveforms);
        states.add(x);
        for (int i = 0; i < upTo; i++) {
            x = layer(ops, i, x);
            states.add(x);
        }
        return states;
    }

    /**
     * Whether any encoder weight is watched by {@code tape} (null: none): a head over a frozen encoder runs the
     * encoder untaped, keeping none of its activations.
     */
    public boolean watchedBy(org.sdd4j.autograd.Tape tape) {
        if (tape == null) {
            return false;
        }
        List<Tensor> weights = new ArrayList<>(List.of(projNormWeight, projNormBias, projection.weight(), posBias,
                encoderNormWeight, encoderNormBias));
        if (projection.bias() != null) {
            weights.add(projection.bias());
        }
        weights.addAll(posFactors != null ? List.of(posFactors) : List.of(posWeight));
        for (int i = 0; i < convWeight.length; i++) {
            weights.add(convWeight[i]);
            if (convBias[i] != null) {
                weights.add(convBias[i]);
            }
            if (convNorm[i] != null) {
                weights.addAll(List.of(convNorm[i]));
            }
        }
        for (Layer l : layers) {
            for (Linear lin : List.of(l.q, l.k, l.v, l.out, l.fc1, l.fc2)) {
                weights.add(lin.weight());
                weights.add(lin.bias());
            }
            weights.addAll(List.of(l.attnNormW, l.attnNormB, l.finalNormW, l.finalNormB));
        }
        return weights.stream().anyMatch(tape::needsGrad);
    }

    /** The transformer's input: features, projection, positional conv (and, post-LN, the first LayerNorm). */
    private Tensor embed(Ops ops, Tensor waveforms) {
        Tensor x = ops.report(extractorName, extractFeatures(ops, waveforms),
                Layout.FEATURE_MAP);                                 // [B, C, frames]
        x = ops.transpose(x, 1, 2);                                  // [B, frames, C]
        x = projection.forward(ops, ops.layerNorm(x, projNormWeight, projNormBias, EPS));
        x = ops.addInPlace(x, positional(ops, x));
        return config.preLayerNorm() ? x : ops.layerNorm(x, encoderNormWeight, encoderNormBias, EPS);
    }

    /** Transformer layer {@code i}, reported to the ops' layer recorder under its checkpoint name. */
    private Tensor layer(Ops ops, int i, Tensor in) {
        Layer layer = layers.get(i);
        Tensor out = ops.scoped(o -> config.preLayerNorm() ? preLnLayer(o, layer, in) : postLnLayer(o, layer, in));
        return ops.report(layerNames[i], out, Layout.FRAMES);
    }

    /** The conv feature extractor: {@code [B, T]} to {@code [B, C, frames]}. */
    public Tensor extractFeatures(Ops ops, Tensor waveforms) {
        Tensor x = waveforms.reshape(waveforms.dim(0), 1, waveforms.dim(1));
        for (int i = 0; i < convWeight.length; i++) {
            Tensor in = x;
            int layer = i;
            x = ops.scoped(o -> extractorLayer(o, layer, in));
        }
        return x;
    }

    private Tensor extractorLayer(Ops ops, int i, Tensor x) {
        Tensor y = ops.conv1d(x, convWeight[i], convBias[i], config.convStrides()[i], 0, 1);
        if (config.layerNormExtractor()) {
            // LayerNorm over channels (the reference transposes to [B, T, C] and back).
            y = ops.layerNormChannels(y, convNorm[i][0], convNorm[i][1], EPS);
        } else if (convNorm[i] != null) {
            y = ops.groupNorm(y, y.dim(1), convNorm[i][0], convNorm[i][1], EPS);
        }
        return ops.actInPlace(Activation.GELU, y);
    }

    /** {@code GELU(conv(x))} with the even kernel's extra last frame removed, as {@code [B, frames, D]}. */
    private Tensor positional(Ops ops, Tensor x) {
        int frames = x.dim(1);
        Tensor weight = posWeight;
        if (posFactors != null) {
            if (ops.training() || ops.tape() != null) {
                // Training recomputes the kernel so gradients reach g and v, and invalidates the inference copy.
                posWeightValid = false;
                weight = WeightNorm.apply(ops, posFactors[0], posFactors[1], 2);
            } else {
                org.sdd4j.backend.Backend backend = ops.backend();
                if (!posWeightValid || posWeightBackend != backend) {
                    synchronized (this) {
                        if (!posWeightValid || posWeightBackend != backend) {
                            if (posWeightBuffer == null || posWeightBackend != backend) {
                                posWeightBuffer = backend.allocate(weightArena, false, posFactors[1].shape());
                            }
                            WeightNorm.compute(backend, posFactors[0], posFactors[1], 2, posWeightBuffer);
                            posWeightBackend = backend;
                            posWeightValid = true;
                        }
                    }
                }
                weight = posWeightBuffer;
            }
        }
        Tensor conv = ops.conv1d(ops.transpose(x, 1, 2), weight, posBias, 1, config.posConvKernel() / 2,
                config.posConvGroups());
        if (conv.dim(2) > frames) {
            conv = ops.narrow(conv, 2, 0, frames);
        }
        return ops.transpose(ops.actInPlace(Activation.GELU, conv), 1, 2);
    }

    private Tensor preLnLayer(Ops ops, Layer l, Tensor x) {
        Tensor h = attention(ops, l, ops.layerNorm(x, l.attnNormW, l.attnNormB, EPS));
        x = ops.addInPlace(h, x);
        Tensor f = feedForward(ops, l, ops.layerNorm(x, l.finalNormW, l.finalNormB, EPS));
        return ops.addInPlace(f, x);
    }

    private Tensor postLnLayer(Ops ops, Layer l, Tensor x) {
        x = ops.layerNorm(ops.addInPlace(attention(ops, l, x), x), l.attnNormW, l.attnNormB, EPS);
        return ops.layerNorm(ops.addInPlace(feedForward(ops, l, x), x), l.finalNormW, l.finalNormB, EPS);
    }

    private Tensor feedForward(Ops ops, Layer l, Tensor x) {
        return l.fc2.forward(ops, ops.actInPlace(Activation.GELU, l.fc1.forward(ops, x)));
    }

    /** Multi-head self-attention; q is scaled by head_dim^-0.5 after its projection, as fairseq and HF do. */
    private Tensor attention(Ops ops, Layer l, Tensor x) {
        int b = x.dim(0), t = x.dim(1), d = x.dim(2), h = config.heads(), dh = d / h;
        Tensor q = ops.scaleInPlace(l.q.forward(ops, x), (float) Math.pow(dh, -0.5));
        Tensor k = l.k.forward(ops, x);
        Tensor v = l.v.forward(ops, x);
        Tensor qh = heads(ops, q, b, t, h, dh), kh = heads(ops, k, b, t, h, dh), vh = heads(ops, v, b, t, h, dh);
        Tensor att = ops.softmax(ops.matmul(qh, kh, true));          // [B*H, T, T]
        Tensor ctx = ops.matmul(att, vh, false);                      // [B*H, T, dh]
        Tensor merged = ops.permute(ctx.reshape(b, h, t, dh), 0, 2, 1, 3).reshape(b, t, d);
        return l.out.forward(ops, merged);
    }

    private static Tensor heads(Ops ops, Tensor x, int b, int t, int h, int dh) {
        return ops.permute(x.reshape(b, t, h, dh), 0, 2, 1, 3).reshape(b * h, t, dh);
    }
}
