package org.sdd4j.model.ssl;

import java.util.ArrayList;
import java.util.List;
import org.sdd4j.tensor.Tensor;

/**
 * The shape of a wav2vec 2.0 family encoder, inferred from its weights.
 *
 * @param convChannels    output channels of each feature-extractor conv layer
 * @param convKernels     kernel sizes (10, 3, 3, 3, 3, 2, 2 in every published model)
 * @param convStrides     strides (5, 2, 2, 2, 2, 2, 2); not visible in weights, so the published ones
 * @param convBias        whether the conv layers have biases
 * @param layerNormExtractor true for "layer_norm" extractor mode (LN after every conv), false for
 *                        "default" mode (GroupNorm after the first conv only)
 * @param preLayerNorm    pre-LN transformer ("layer_norm_first") vs post-LN
 * @param hidden          model dimension D
 * @param layers          transformer layers
 * @param heads           attention heads
 * @param ffn             feed-forward dimension
 * @param posConvKernel   positional conv kernel (128)
 * @param posConvGroups   positional conv groups (16)
 */
public record Wav2Vec2Config(int[] convChannels, int[] convKernels, int[] convStrides, boolean convBias,
                             boolean layerNormExtractor, boolean preLayerNorm, int hidden, int layers, int heads,
                             int ffn, int posConvKernel, int posConvGroups) {

    /**
     * Infers the configuration from the weights. Heads are not visible in shapes: {@code heads} &gt; 0
     * overrides; otherwise the published rule (head size 64 up to D = 768, 16 heads above) applies.
     * Pre-LN is inferred from the extractor mode, which matches every published checkpoint
     * (XLS-R, MMS, large, HuBERT: layer-norm extractor and pre-LN; base/small: group norm and post-LN).
     */
    static Wav2Vec2Config infer(Wav2Vec2Weights w, int heads, Boolean preLayerNormOverride) {
        List<int[]> convs = new ArrayList<>();
        for (int i = 0; w.has("feature_extractor.conv_layers." + i + ".0.weight"); i++) {
            convs.add(w.require("feature_extractor.conv_layers." + i + ".0.weight").shape());
        }
        if (convs.isEmpty()) {
            throw new IllegalArgumentException("no wav2vec 2.0 feature extractor (feature_extractor.conv_layers.0) found");
        }
        int n = convs.size();
        int[] channels = new int[n], kernels = new int[n], strides = new int[n];
        for (int i = 0; i < n; i++) {
            channels[i] = convs.get(i)[0];
            kernels[i] = convs.get(i)[2];
            strides[i] = i == 0 ? 5 : 2;
        }
        boolean bias = w.has("feature_extractor.conv_layers.0.0.bias");
        // Layer mode norms every conv layer; group mode only the first (whose HF name is the same).
        boolean layerMode = w.has("feature_extractor.conv_layers." + (n - 1) + ".2.1.weight");
        int[] proj = w.require("post_extract_proj.weight").shape();
        int d = proj[0];
        int layers = 0;
        while (w.has("encoder.layers." + layers + ".fc1.weight")) {
            layers++;
        }
        int ffn = layers > 0 ? w.require("encoder.layers.0.fc1.weight").shape()[0] : 0;
        int h = heads > 0 ? heads : (d <= 768 ? Math.max(1, d / 64) : 16);
        if (d % h != 0) {
            throw new IllegalArgumentException("hidden size " + d + " is not divisible by " + h + " heads");
        }
        Tensor[] factors = w.positionalConvFactors();
        int[] pos = factors != null ? factors[1].shape() : w.positionalConvWeight().shape();
        boolean pre = preLayerNormOverride != null ? preLayerNormOverride : layerMode;
        return new Wav2Vec2Config(channels, kernels, strides, bias, layerMode, pre, d, layers, h, ffn, pos[2],
                d / pos[1]);
    }

    /** Frames produced from {@code samples} input samples. */
    public int frames(int samples) {
        int t = samples;
        for (int i = 0; i < convKernels.length; i++) {
            t = (t - convKernels[i]) / convStrides[i] + 1;
        }
        return t;
    }

    @Override
    public String toString() {
        return String.format("wav2vec2[%d x %d, ffn %d, %d heads, %s-LN, %s extractor%s]", layers, hidden, ffn, heads,
                preLayerNorm ? "pre" : "post", layerNormExtractor ? "layer-norm" : "group-norm",
                convBias ? " with conv bias" : "");
    }
}
