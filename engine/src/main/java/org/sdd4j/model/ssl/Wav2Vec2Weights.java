package org.sdd4j.model.ssl;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.Tensor;

/**
 * Looks up wav2vec 2.0 weights under either naming: fairseq (as in SSL-AASIST and AntiDeepfake
 * checkpoints) or Hugging Face transformers. Layers ask by the fairseq name; the HF spelling is
 * tried when it is absent (DESIGN.md 3.2 lists the correspondence).
 */
final class Wav2Vec2Weights {
    private record Rename(Pattern from, String to) {
    }

    private static final List<Rename> FAIRSEQ_TO_HF = List.of(
            new Rename(Pattern.compile("^feature_extractor\\.conv_layers\\.(\\d+)\\.0\\."), "feature_extractor.conv_layers.$1.conv."),
            new Rename(Pattern.compile("^feature_extractor\\.conv_layers\\.(\\d+)\\.2\\.1\\."), "feature_extractor.conv_layers.$1.layer_norm."),
            new Rename(Pattern.compile("^feature_extractor\\.conv_layers\\.0\\.2\\."), "feature_extractor.conv_layers.0.layer_norm."),
            new Rename(Pattern.compile("^layer_norm\\."), "feature_projection.layer_norm."),
            new Rename(Pattern.compile("^post_extract_proj\\."), "feature_projection.projection."),
            new Rename(Pattern.compile("^encoder\\.pos_conv\\.0"), "encoder.pos_conv_embed.conv"),
            new Rename(Pattern.compile("\\.self_attn\\."), ".attention."),
            new Rename(Pattern.compile("\\.self_attn_layer_norm\\."), ".layer_norm."),
            new Rename(Pattern.compile("\\.fc1\\."), ".feed_forward.intermediate_dense."),
            new Rename(Pattern.compile("\\.fc2\\."), ".feed_forward.output_dense."));

    private final StateDict sd;

    Wav2Vec2Weights(StateDict sd) {
        this.sd = sd;
    }

    StateDict stateDict() {
        return sd;
    }

    /** The Hugging Face spelling of a fairseq name. */
    static String toHf(String fairseq) {
        String n = fairseq;
        for (Rename r : FAIRSEQ_TO_HF) {
            n = r.from.matcher(n).replaceAll(r.to);
        }
        return n;
    }

    Optional<Tensor> get(String fairseqName) {
        Optional<Tensor> t = sd.get(fairseqName);
        return t.isPresent() ? t : sd.get(toHf(fairseqName));
    }

    boolean has(String fairseqName) {
        return get(fairseqName).isPresent();
    }

    /** The tensor under either name, with the given shape (any shape if none is given). */
    Tensor require(String fairseqName, int... shape) {
        return sd.contains(fairseqName) || !sd.contains(toHf(fairseqName)) ? sd.require(fairseqName, shape)
                : sd.require(toHf(fairseqName), shape);
    }

    /**
     * The positional convolution's stored weight-norm factors {@code [g, v]}, or null when the checkpoint
     * stores the plain weight.
     */
    Tensor[] positionalConvFactors() {
        String[][] forms = {{"encoder.pos_conv.0.weight_g", "encoder.pos_conv.0.weight_v"},
            {"encoder.pos_conv.0.parametrizations.weight.original0", "encoder.pos_conv.0.parametrizations.weight.original1"}};
        for (String[] f : forms) {
            Tensor g = get(f[0]).orElse(null), v = get(f[1]).orElse(null);
            if (g != null && v != null) {
                return new Tensor[] {g, v};
            }
        }
        return null;
    }

    /** The positional convolution's effective weight, whichever weight-norm form is stored. */
    Tensor positionalConvWeight() {
        String base = "encoder.pos_conv.0";
        boolean fairseq = sd.contains(base + ".weight_g") || sd.contains(base + ".weight")
                || sd.contains(base + ".parametrizations.weight.original0");
        return sd.resolveWeightNorm(fairseq ? base : toHf(base), 2);
    }
}
