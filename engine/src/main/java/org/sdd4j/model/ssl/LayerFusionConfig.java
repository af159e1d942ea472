package org.sdd4j.model.ssl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import org.sdd4j.backend.Activation;
import org.sdd4j.model.InputSpec;

/**
 * What a {@link LayerFusionFfn} checkpoint's weights do not say: which hidden states are fused, the FFN's
 * activation and dropout, and the input length. Stored as {@code config.json} beside the weights:
 *
 * <pre>{"family": "layer-fusion", "layers": [4, 9], "activation": "relu", "ffn_dropout": 0.1, "input_length": 64600}</pre>
 *
 * @param firstLayer  first fused hidden state (0: the transformer input, i: the output of layer i)
 * @param lastLayer   last fused hidden state, inclusive
 * @param activation  the FFN's nonlinearity
 * @param ffnDropout  dropout probability after the activation (training only)
 * @param inputLength samples per input (first samples kept, shorter audio tiled), or 0 for whole utterances
 */
public record LayerFusionConfig(int firstLayer, int lastLayer, Activation activation, double ffnDropout,
                                int inputLength) {
    /** EnvSSLAM-FFN's choice: hidden states 4..9, ReLU, dropout 0.1, 64,600-sample inputs as SSL-AASIST. */
    public static final LayerFusionConfig DEFAULT = new LayerFusionConfig(4, 9, Activation.RELU, 0.1,
            InputSpec.FIXED_64600.fixedLength());

    public LayerFusionConfig {
        if (firstLayer < 0 || lastLayer < firstLayer) {
            throw new IllegalArgumentException("layers must be [first, last] with 0 <= first <= last, got ["
                    + firstLayer + ", " + lastLayer + "]");
        }
        if (!(ffnDropout >= 0 && ffnDropout < 1)) {
            throw new IllegalArgumentException("ffn_dropout must be in [0, 1), got " + ffnDropout);
        }
        if (inputLength < 0) {
            throw new IllegalArgumentException("input_length must be >= 0, got " + inputLength);
        }
    }

    /** Number of fused hidden states. */
    public int layerCount() {
        return lastLayer - firstLayer + 1;
    }

    public LayerFusionConfig withInputLength(int samples) {
        return new LayerFusionConfig(firstLayer, lastLayer, activation, ffnDropout, samples);
    }

    /**
     * Reads the fields present in {@code node} (a config.json, or the {@code model} block of a training config),
     * taking the rest from {@code defaults}.
     */
    public static LayerFusionConfig fromJson(JsonNode node, LayerFusionConfig defaults) {
        int first = defaults.firstLayer, last = defaults.lastLayer;
        JsonNode layers = node.get("layers");
        if (layers != null && !layers.isNull()) {
            if (!layers.isArray() || layers.size() != 2 || !layers.get(0).canConvertToInt()
                    || !layers.get(1).canConvertToInt()) {
                throw new IllegalArgumentException("layers must be [first, last], got " + layers);
            }
            first = layers.get(0).asInt();
            last = layers.get(1).asInt();
        }
        Activation act = defaults.activation;
        if (node.hasNonNull("activation")) {
            String name = node.get("activation").asText().toUpperCase(Locale.ROOT);
            try {
                act = Activation.valueOf(name);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown activation '" + node.get("activation").asText()
                        + "' (relu, gelu, selu, tanh, sigmoid)");
            }
        }
        return new LayerFusionConfig(first, last, act, node.path("ffn_dropout").asDouble(defaults.ffnDropout),
                node.path("input_length").asInt(defaults.inputLength));
    }

    public ObjectNode toJson() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("family", "layer-fusion");
        n.putArray("layers").add(firstLayer).add(lastLayer);
        n.put("activation", activation.name().toLowerCase(Locale.ROOT));
        n.put("ffn_dropout", ffnDropout);
        n.put("input_length", inputLength);
        return n;
    }
}
