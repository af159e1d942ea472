package org.sdd4j.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.sdd4j.checkpoint.CheckpointException;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.model.aasist.Aasist;
import org.sdd4j.model.aasist.AasistConfig;
import org.sdd4j.model.ssl.AntiDeepfake;
import org.sdd4j.model.ssl.LayerFusionConfig;
import org.sdd4j.model.ssl.LayerFusionFfn;
import org.sdd4j.model.ssl.SslAasist;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.zoo.ModelFamily;

/**
 * Turns an opened checkpoint into a model: normalises its keys and dtypes, tells the architecture from
 * its keys, and builds the model, inferring what the weights do not say from their shapes.
 *
 * <p>Checkpoints carry no architecture tag, so the family is read from the key names each reference
 * implementation uses (DESIGN.md 3.3, 3.4):
 * <ul>
 *   <li>SSL-AASIST: {@code ssl_model.model.*} (the fairseq wav2vec 2.0 encoder) and {@code LL.weight};</li>
 *   <li>AntiDeepfake: {@code m_ssl.model.*} and {@code proj_fc.weight};</li>
 *   <li>layer fusion: {@code ssl_model.model.*} or {@code m_ssl.model.*}, and {@code fusion.layer_logits};</li>
 *   <li>AASIST / AASIST-L: {@code encoder.0.0.conv1.weight} and {@code GAT_layer_S.*}.</li>
 * </ul>
 */
public final class ModelLoader {
    /** The prefix torch.nn.DataParallel puts on every key of a model saved while wrapped. */
    static final String DATA_PARALLEL_PREFIX = "module.";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelLoader() {
    }

    /**
     * The checkpoint as the models expect it: without a DataParallel {@code module.} prefix, and with every
     * floating tensor in float32 (half-precision or double checkpoints are converted once, into the
     * checkpoint's arena, so they live exactly as long as the mapped file). The result is a view of
     * {@code sd}; closing {@code sd} ends it.
     */
    public static StateDict normalise(StateDict sd) {
        StateDict view = sd.keys().stream().anyMatch(k -> k.startsWith(DATA_PARALLEL_PREFIX))
                ? sd.stripPrefix(DATA_PARALLEL_PREFIX) : sd;
        boolean convert = view.tensors().values().stream().anyMatch(t -> t.dtype().isFloating() && t.dtype() != DType.F32);
        if (!convert) {
            return view;
        }
        Map<String, Tensor> f32 = new LinkedHashMap<>();
        view.tensors().forEach((k, t) -> f32.put(k, t.dtype().isFloating() && t.dtype() != DType.F32 ? t.toF32(sd.arena()) : t));
        return StateDict.of(sd.source(), sd.arena(), f32);
    }

    /**
     * The family whose key names {@code sd} (already {@link #normalise normalised}) carries.
     *
     * @throws CheckpointException naming the file and a few of its keys when no family matches
     */
    public static ModelFamily detect(StateDict sd) {
        if (sd.contains(LayerFusionFfn.LAYER_LOGITS)
                && (hasPrefix(sd, LayerFusionFfn.SSL_PREFIX) || hasPrefix(sd, AntiDeepfake.SSL_PREFIX))) {
            return ModelFamily.LAYER_FUSION;
        }
        if (hasPrefix(sd, "ssl_model.model.") && sd.contains("LL.weight")) {
            return ModelFamily.SSL_AASIST;
        }
        if (hasPrefix(sd, "m_ssl.model.") && sd.contains("proj_fc.weight")) {
            return ModelFamily.ANTIDEEPFAKE;
        }
        if (sd.contains("encoder.0.0.conv1.weight") && hasPrefix(sd, "GAT_layer_S.")) {
            return ModelFamily.AASIST;
        }
        List<String> some = sd.keys().stream().limit(6).toList();
        throw new CheckpointException(sd.source(), "not a checkpoint of a detector sdd4j knows: expected the keys of "
                + "AASIST (encoder.0.0.conv1.weight, GAT_layer_S.*), SSL-AASIST (ssl_model.model.*, LL.weight) or "
                + "AntiDeepfake (m_ssl.model.*, proj_fc.weight) or layer fusion (ssl_model.model.*, fusion.layer_logits), found " + sd.size() + " tensors starting " + some);
    }

    /**
     * Builds the model of {@code family} from {@code sd}.
     *
     * @param configFile an architecture file: an AASIST .conf or sdd4j JSON, or a layer-fusion config.json (the other
     *                   SSL families read theirs from the weights); absent, a config.json beside the weights is used
     * @throws CheckpointException      when a tensor is missing or mis-shaped, naming the file and the key
     * @throws IllegalArgumentException when the config file is unreadable or does not fit the family
     */
    public static SpoofModel build(ModelFamily family, StateDict sd, Optional<Path> configFile) {
        if (family != ModelFamily.AASIST && family != ModelFamily.LAYER_FUSION && configFile.isPresent()) {
            throw new IllegalArgumentException("--config " + configFile.get() + " applies to AASIST and layer-fusion"
                    + " checkpoints only; "
                    + sd.source() + " is a " + family + " checkpoint, whose architecture is read from its weights");
        }
        return switch (family) {
            case AASIST -> new Aasist(sd, aasistConfig(sd, configFile));
            case SSL_AASIST -> new SslAasist(sd);
            case ANTIDEEPFAKE -> new AntiDeepfake(sd);
            case LAYER_FUSION -> new LayerFusionFfn(sd, layerFusionConfig(sd, configFile));
        };
    }

    /**
     * The layer-fusion configuration for {@code sd}: from {@code configFile}, else from the config.json beside the
     * weights; with neither, EnvSSLAM-FFN's defaults ({@link LayerFusionConfig#DEFAULT}), which fit only weights with
     * six fusion logits.
     */
    public static LayerFusionConfig layerFusionConfig(StateDict sd, Optional<Path> configFile) {
        Path beside = sd.source() == null ? null : sd.source().toAbsolutePath().resolveSibling("config.json");
        Path file = configFile.orElse(beside != null && java.nio.file.Files.isRegularFile(beside) ? beside : null);
        if (file == null) {
            int k = sd.require(LayerFusionFfn.LAYER_LOGITS).dim(0);
            if (k != LayerFusionConfig.DEFAULT.layerCount()) {
                throw new CheckpointException(sd.source(), "layer-fusion weights with " + k + " fusion logits and no"
                        + " config.json beside them: which hidden states they fuse is not in the weights; pass the"
                        + " run's config.json (--config)");
            }
            return LayerFusionConfig.DEFAULT;
        }
        JsonNode root = readJson(file);
        try {
            return LayerFusionConfig.fromJson(root, LayerFusionConfig.DEFAULT);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("config " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The AASIST configuration for {@code sd}: read from {@code configFile} when given; otherwise the
     * official AASIST or AASIST-L configuration whose shapes the weights have. Pool ratios and
     * temperatures leave no trace in the weights, so other shapes need the config file.
     */
    public static AasistConfig aasistConfig(StateDict sd, Optional<Path> configFile) {
        if (configFile.isPresent()) {
            return readAasistConfig(configFile.get());
        }
        // sdd4j's trainer and the zoo write the architecture as config.json beside the weights.
        Path beside = sd.source() == null ? null : sd.source().toAbsolutePath().resolveSibling("config.json");
        if (beside != null && java.nio.file.Files.isRegularFile(beside)) {
            return readAasistConfig(beside);
        }
        Shapes shapes = Shapes.of(sd);
        for (AasistConfig known : List.of(AasistConfig.AASIST, AasistConfig.AASIST_L)) {
            if (shapes.matches(known)) {
                return known;
            }
        }
        throw new CheckpointException(sd.source(), "AASIST weights with " + shapes + " match neither AASIST nor"
                + " AASIST-L, and pool ratios and temperatures cannot be read from weights: pass the model's"
                + " .conf file (--config)");
    }

    private static JsonNode readJson(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("config " + file + " is not a JSON object");
        }
        return root;
    }

    private static AasistConfig readAasistConfig(Path file) {
        JsonNode root = readJson(file);
        try {
            return AasistConfig.fromJson(root);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("config " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean hasPrefix(StateDict sd, String prefix) {
        return sd.keys().stream().anyMatch(k -> k.startsWith(prefix));
    }

    /** The architecture numbers AASIST weights reveal: block channels, graph dims and spectral bands. */
    private record Shapes(int[][] blocks, int[] gatDims, int bands) {
        static Shapes of(StateDict sd) {
            int[][] blocks = new int[4][];
            for (int i = 0; i < 4; i++) {
                Tensor w = sd.require("encoder." + i + ".0.conv1.weight");
                blocks[i] = new int[] {w.dim(1), w.dim(0)};
            }
            int g0 = sd.require("master1").dim(-1);
            int g1 = sd.require("out_layer.weight").dim(-1) / 5;
            return new Shapes(blocks, new int[] {g0, g1}, sd.require("pos_S").dim(1));
        }

        boolean matches(AasistConfig c) {
            return Arrays.deepEquals(blocks, c.filts()) && Arrays.equals(gatDims, c.gatDims())
                    && bands == c.sincFilters() / 3;
        }

        @Override
        public String toString() {
            return "residual blocks " + Arrays.deepToString(blocks) + ", gat_dims " + Arrays.toString(gatDims)
                    + " and " + bands + " spectral nodes";
        }
    }
}
