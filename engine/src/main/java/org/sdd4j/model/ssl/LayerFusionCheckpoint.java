package org.sdd4j.model.ssl;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.random.RandomGenerator;
import org.sdd4j.checkpoint.CheckpointException;
import org.sdd4j.checkpoint.SafetensorsWriter;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

/**
 * Builds and writes {@link LayerFusionFfn} checkpoints: the encoder of any wav2vec 2.0 family checkpoint
 * (SSL-AASIST, AntiDeepfake, a layer-fusion checkpoint, or a bare fairseq / Hugging Face encoder) under
 * {@code ssl_model.model.}, and a fresh head.
 */
public final class LayerFusionCheckpoint {
    /** Pretraining-only tensors of wav2vec 2.0 checkpoints (DESIGN.md 3.2), left out of a detector checkpoint. */
    private static final List<String> PRETRAINING_ONLY = List.of("quantizer.", "project_q.", "final_proj.", "mask_emb",
            "masked_spec_embed", "project_hid.", "target_glu.", "label_embs_concat");
    /** The first conv's weight in fairseq and Hugging Face spelling: what marks where an encoder's keys start. */
    private static final List<String> ENCODER_MARKS = List.of("feature_extractor.conv_layers.0.0.weight",
            "feature_extractor.conv_layers.0.conv.weight");

    private LayerFusionCheckpoint() {
    }

    /**
     * The key prefix of the (single) wav2vec 2.0 encoder in {@code sd}: {@code ssl_model.model.}, {@code m_ssl.model.},
     * {@code wav2vec2.}, the empty prefix of a bare encoder, ...
     *
     * @throws CheckpointException when {@code sd} holds no encoder or more than one
     */
    public static String encoderPrefix(StateDict sd) {
        TreeSet<String> prefixes = new TreeSet<>();
        for (String key : sd.keys()) {
            for (String mark : ENCODER_MARKS) {
                if (key.endsWith(mark)) {
                    prefixes.add(key.substring(0, key.length() - mark.length()));
                }
            }
        }
        if (prefixes.size() != 1) {
            throw new CheckpointException(sd.source(), prefixes.isEmpty()
                    ? "no wav2vec 2.0 encoder in this checkpoint (no key ends with " + ENCODER_MARKS.get(0) + " or "
                    + ENCODER_MARKS.get(1) + ")"
                    : "several wav2vec 2.0 encoders in this checkpoint, under " + prefixes + "; expected one");
        }
        return prefixes.first();
    }

    /**
     * A layer-fusion state dict: {@code source}'s encoder tensors (views, not copies: keep {@code source} open) and a
     * head with PyTorch's default initialisation drawn from {@code rng}: the fusion logits zero (equal weights),
     * the linear layers uniform in {@code ±1/sqrt(fan_in)} (kaiming-uniform with a = sqrt 5, and the bias rule).
     *
     * @param hidden the FFN's hidden width
     * @throws CheckpointException when {@code source} has no encoder or too few layers for {@code config}
     */
    public static StateDict create(StateDict source, LayerFusionConfig config, int hidden, RandomGenerator rng,
                                   Arena arena) {
        if (hidden <= 0) {
            throw new IllegalArgumentException("hidden must be positive, got " + hidden);
        }
        String prefix = encoderPrefix(source);
        StateDict encoderWeights = source.subset(prefix);
        Wav2Vec2Config shape = new Wav2Vec2Encoder(encoderWeights, 0).config();
        if (config.lastLayer() > shape.layers()) {
            throw new CheckpointException(source.source(), "layers [" + config.firstLayer() + ", " + config.lastLayer()
                    + "] asked for, but the encoder (" + shape + ") has hidden states 0.." + shape.layers());
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        encoderWeights.tensors().forEach((name, t) -> {
            if (PRETRAINING_ONLY.stream().noneMatch(name::startsWith)) {
                tensors.put(LayerFusionFfn.SSL_PREFIX + name, t);
            }
        });
        tensors.put(LayerFusionFfn.LAYER_LOGITS, Tensor.zeros(arena, DType.F32, config.layerCount()));
        linear(tensors, LayerFusionFfn.FFN_IN, shape.hidden(), hidden, rng, arena);
        linear(tensors, LayerFusionFfn.FFN_OUT, hidden, 2, rng, arena);
        return StateDict.of(source.source(), arena, tensors);
    }

    private static void linear(Map<String, Tensor> into, String prefix, int in, int out, RandomGenerator rng,
                               Arena arena) {
        double bound = 1 / Math.sqrt(in);
        into.put(prefix + ".weight", uniform(arena, rng, bound, out, in));
        into.put(prefix + ".bias", uniform(arena, rng, bound, out));
    }

    private static Tensor uniform(Arena arena, RandomGenerator rng, double bound, int... shape) {
        Tensor t = Tensor.zeros(arena, DType.F32, shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setFloat(i, (float) ((rng.nextDouble() * 2 - 1) * bound));
        }
        return t;
    }

    /**
     * Writes {@code weights} as safetensors at {@code file} and the config as {@code config.json} beside it, the
     * layout {@code sdd4j score} loads.
     */
    public static void write(Path file, Map<String, Tensor> weights, LayerFusionConfig config) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        SafetensorsWriter.write(file, weights, Map.of("format", "pt", "writer", "sdd4j", "family", LayerFusionFfn.FAMILY));
        Files.writeString(dir.resolve("config.json"),
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(config.toJson()));
    }
}
