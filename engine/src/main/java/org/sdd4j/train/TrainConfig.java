package org.sdd4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.sdd4j.data.ProtocolFormat;
import org.sdd4j.model.ssl.LayerFusionConfig;
import org.sdd4j.train.grpo.GrpoOptions;

/**
 * A training run as written in its JSON or YAML file. Paths are relative to the file's folder.
 *
 * <pre>
 * model:        { family: aasist, config: AASIST-L.conf, init: null }     # init: a checkpoint to fine-tune
 *               # or a layer-fusion head over a frozen encoder (any checkpoint holding a wav2vec 2.0 encoder):
 *               # { family: layer-fusion, encoder: ssl_aasist.pth, layers: [4, 9], hidden: 256,
 *               #   activation: relu, ffn_dropout: 0.1 }
 * data:         { train: { format: list, protocol: splits/train.tsv, root: . },
 *                 validation: { format: list, protocol: splits/dev.tsv, root: . } }
 * augmentation: { rawboost: 0 }
 * optimizer:    { name: adam, lr: 1.0e-4, weight_decay: 1.0e-4, betas: [0.9, 0.999], eps: 1.0e-8, clip_norm: null }
 * schedule:     { name: cosine, lr_min: 5.0e-6 }                          # constant | cosine | warmup-exponential
 * class_weights: [0.1, 0.9]
 * batch_size: 8         # per micro-batch
 * accumulate_steps: 1   # micro-batches per optimiser step (gradients summed, each loss / N, as PyTorch's loop)
 * epochs: 10
 * max_steps: 0          # 0: no limit
 * sampler: balanced     # balanced | shuffled
 * crop: 0               # samples per training example; 0: the model's input length
 * freeze: []            # parameter-name prefixes kept fixed, e.g. ["ssl_model."]
 * dropout: true
 * seed: 1234
 * threads: 0            # 0: every core
 * workers: 2
 * output: runs/demo
 * checkpoint_every: 200
 * method: sft           # sft | grpo
 * grpo: { variant: grpo, group_size: 64, reward: binary, advantage: batch, clip_eps: 0.2, kl_weight: 0.04,
 *         old_policy_refresh: 1000 }                                   # see {@link GrpoOptions}; method grpo only
 * </pre>
 *
 * <p>With {@code method: grpo}, keys the file leaves out take the GRPO reference's values instead of the SFT
 * ones: optimizer {@code {name: adamw, lr: 1.0e-6, weight_decay: 0.01, eps: 1.0e-6, clip_norm: 100}} and
 * {@code augmentation: {rawboost: 5}}; {@code class_weights} is not used.
 *
 * <p>Several stages in one file (e.g. SFT then GRPO): a {@code stages} list, each entry a set of keys that
 * override the rest of the file for that stage, plus an optional {@code name}. Stage {@code n} writes to
 * {@code <output>/<name>} (default {@code stage<n>}) and starts from the previous stage's final weights, which are
 * also its GRPO reference policy; see {@link #loadStages}.
 * <pre>
 * stages:
 *   - { name: sft,  method: sft,  max_steps: 2000, optimizer: { name: adam, lr: 1.0e-6 } }
 *   - { name: grpo, method: grpo, max_steps: 2000 }
 * </pre>
 *
 * <p>A layer-fusion head ({@code model.family: layer-fusion} without {@code model.init}) is built over the encoder
 * of {@code model.encoder} with PyTorch's default initialisation drawn from the seed; its encoder (and that of a
 * layer-fusion checkpoint given as {@code model.init}) is frozen, and runs untaped: a step costs one encoder
 * inference (up to the last fused layer) and the head's forward and backward.
 *
 * <p>With {@code accumulate_steps: N}, {@code step}, {@code max_steps}, the schedule and {@code checkpoint_every}
 * count optimiser steps, each over N consecutive batches of an epoch (the last step of an epoch may take fewer;
 * its losses are divided by their number).
 */
public record TrainConfig(Path file, String family, Path modelConfig, Path init, DataSet train, DataSet validation,
                          int rawBoost, String optimizer, double lr, double weightDecay, double beta1, double beta2,
                          double eps, double clipNorm, String schedule, double lrMin, long warmup, double gamma,
                          float[] classWeights, int batchSize, int epochs, long maxSteps, String sampler, int crop,
                          List<String> freeze, boolean dropout, long seed, int threads, int workers, Path output,
                          int checkpointEvery, LayerFusionHead layerFusion, int accumulateSteps, String method,
                          GrpoOptions grpo) {

    /**
     * A layer-fusion head to build over the frozen encoder of {@code encoder} (model.family layer-fusion).
     *
     * @param encoder any checkpoint holding a wav2vec 2.0 encoder (SSL-AASIST, AntiDeepfake, bare fairseq or HF)
     * @param fusion  the fused layers, activation and dropout
     * @param hidden  the FFN's hidden width
     */
    public record LayerFusionHead(Path encoder, LayerFusionConfig fusion, int hidden) {
    }

    /** One protocol file and the folder its audio paths are resolved against. */
    public record DataSet(ProtocolFormat format, Path protocol, Path root) {
    }

    /** A single-stage config (a file with {@code stages} is read with {@link #loadStages}). */
    public static TrainConfig load(Path file) throws IOException {
        JsonNode root = read(file);
        if (root.has("stages")) {
            throw new IllegalArgumentException(file + ": has stages; read it with TrainConfig.loadStages");
        }
        return parse(root, file, null);
    }

    /**
     * The stages of a file in order: its {@code stages} entries each laid over the rest of the file, or the
     * whole file as the only stage. Stages after the first keep their {@code model.init} from the file only
     * until the trainer replaces it with the previous stage's final checkpoint ({@link #withInit}).
     */
    public static List<TrainConfig> loadStages(Path file) throws IOException {
        JsonNode root = read(file);
        JsonNode stages = root.get("stages");
        if (stages == null) {
            return List.of(parse(root, file, null));
        }
        if (!stages.isArray() || stages.isEmpty()) {
            throw new IllegalArgumentException(file + ": stages must be a non-empty list");
        }
        ObjectNode base = ((ObjectNode) root).deepCopy();
        base.remove("stages");
        List<TrainConfig> out = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < stages.size(); i++) {
            JsonNode stage = stages.get(i);
            if (!stage.isObject()) {
                throw new IllegalArgumentException(file + ": stage " + (i + 1) + " must be an object of overrides");
            }
            String name = stage.path("name").asText("stage" + (i + 1));
            if (!names.add(name) || !name.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException(file + ": stage name '" + name + "' must be unique and a plain"
                        + " folder name");
            }
            ObjectNode merged = merge(base.deepCopy(), stage);
            merged.remove("name");
            out.add(parse(merged, file, name));
        }
        return List.copyOf(out);
    }

    /** The same run starting from {@code checkpoint} (a file or a checkpoint folder's model.safetensors). */
    public TrainConfig withInit(Path checkpoint) {
        return new TrainConfig(file, family, modelConfig, checkpoint, train, validation, rawBoost, optimizer, lr,
                weightDecay, beta1, beta2, eps, clipNorm, schedule, lrMin, warmup, gamma, classWeights, batchSize, epochs,
                maxSteps, sampler, crop, freeze, dropout, seed, threads, workers, output, checkpointEvery, layerFusion, accumulateSteps,
                method, grpo);
    }

    /** Whether this stage fine-tunes with GRPO. */
    public boolean isGrpo() {
        return method.equals("grpo");
    }

    /** Objects merge key by key (a stage's {@code optimizer: {lr: ...}} keeps the file's other optimizer keys). */
    private static ObjectNode merge(ObjectNode into, JsonNode over) {
        over.fields().forEachRemaining(f -> {
            JsonNode mine = into.get(f.getKey());
            if (mine != null && mine.isObject() && f.getValue().isObject()) {
                merge((ObjectNode) mine, f.getValue());
            } else {
                into.set(f.getKey(), f.getValue().deepCopy());
            }
        });
        return into;
    }

    private static JsonNode read(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        ObjectMapper mapper = name.endsWith(".yaml") || name.endsWith(".yml") ? new ObjectMapper(new YAMLFactory())
                : new ObjectMapper();
        JsonNode root;
        try {
            root = mapper.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid " + (name.endsWith("json") ? "JSON" : "YAML") + ": "
                    + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": a training config must be an object");
        }
        return root;
    }

    /** One stage from its (merged) keys; {@code stage} names its output subfolder, or null for a plain file. */
    private static TrainConfig parse(JsonNode root, Path file, String stage) {
        Path dir = file.toAbsolutePath().getParent();
        JsonNode model = root.path("model"), opt = root.path("optimizer"), sched = root.path("schedule");
        JsonNode data = root.path("data");
        if (!data.has("train")) {
            throw new IllegalArgumentException(file + ": data.train is required");
        }
        float[] weights = null;
        if (root.has("class_weights")) {
            JsonNode w = root.get("class_weights");
            weights = new float[] {(float) w.get(0).asDouble(), (float) w.get(1).asDouble()};
        }
        List<String> freeze = new ArrayList<>();
        root.path("freeze").forEach(n -> freeze.add(n.asText()));
        String method = root.path("method").asText("sft");
        if (!method.equals("sft") && !method.equals("grpo")) {
            throw new IllegalArgumentException(file + ": method '" + method + "' is not one of sft, grpo");
        }
        LayerFusionHead head = null;
        String family = model.path("family").asText("aasist");
        if (family.equals("layer-fusion")) {
            try {
                head = new LayerFusionHead(path(dir, model, "encoder"),
                        LayerFusionConfig.fromJson(model, LayerFusionConfig.DEFAULT), model.path("hidden").asInt(256));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": model: " + e.getMessage(), e);
            }
            if (head.encoder() == null && path(dir, model, "init") == null) {
                throw new IllegalArgumentException(file + ": a layer-fusion model needs model.encoder (a checkpoint"
                        + " holding the wav2vec 2.0 encoder) or model.init (a layer-fusion checkpoint)");
            }
            if (head.hidden() <= 0) {
                throw new IllegalArgumentException(file + ": model.hidden must be positive, got " + head.hidden());
            }
        }
        int accumulate = root.path("accumulate_steps").asInt(1);
        if (accumulate < 1) {
            throw new IllegalArgumentException(file + ": accumulate_steps must be >= 1, got " + accumulate);
        }
        boolean grpo = method.equals("grpo");
        if (root.has("grpo") && !grpo) {
            throw new IllegalArgumentException(file + ": a grpo block needs method: grpo");
        }
        Path output = dir.resolve(root.path("output").asText("runs/" + file.getFileName().toString()
                .replaceFirst("\\.[^.]*$", "")));
        // GRPO's defaults are the reference code's (AdamW lr 1e-6, wd 0.01, eps 1e-6, clip 100, RawBoost 5).
        return new TrainConfig(file, family, path(dir, model, "config"),
                path(dir, model, "init"), dataSet(dir, data.get("train"), file),
                data.has("validation") ? dataSet(dir, data.get("validation"), file) : null,
                root.path("augmentation").path("rawboost").asInt(grpo ? 5 : 0),
                opt.path("name").asText(grpo ? "adamw" : "adam"),
                opt.path("lr").asDouble(grpo ? 1e-6 : 1e-4), opt.path("weight_decay").asDouble(grpo ? 0.01 : 0),
                opt.path("betas").path(0).asDouble(0.9), opt.path("betas").path(1).asDouble(0.999),
                opt.path("eps").asDouble(grpo ? 1e-6 : 1e-8),
                opt.path("clip_norm").isNumber() ? opt.get("clip_norm").asDouble()
                        : grpo && !opt.has("clip_norm") ? 100 : Double.POSITIVE_INFINITY,
                sched.path("name").asText("constant"), sched.path("lr_min").asDouble(0), sched.path("warmup").asLong(0),
                sched.path("gamma").asDouble(1), weights, root.path("batch_size").asInt(8), root.path("epochs").asInt(1),
                root.path("max_steps").asLong(0), root.path("sampler").asText("balanced"), root.path("crop").asInt(0),
                freeze, root.path("dropout").asBoolean(true), root.path("seed").asLong(1234),
                root.path("threads").asInt(0), root.path("workers").asInt(2),
                stage == null ? output : output.resolve(stage), root.path("checkpoint_every").asInt(200), head,
                accumulate, method, grpo ? GrpoOptions.parse(root.get("grpo"), file) : null);
    }

    private static Path path(Path dir, JsonNode node, String key) {
        JsonNode v = node.get(key);
        return v == null || v.isNull() || v.asText().isBlank() ? null : dir.resolve(v.asText());
    }

    private static DataSet dataSet(Path dir, JsonNode node, Path file) {
        String format = node.path("format").asText("list").toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        ProtocolFormat f;
        try {
            f = format.equals("LIST") ? ProtocolFormat.PATH_LABEL_LIST : ProtocolFormat.valueOf(format);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": unknown data format '" + node.path("format").asText()
                    + "' (one of list, " + java.util.Arrays.toString(ProtocolFormat.values()).toLowerCase() + ")");
        }
        Path protocol = path(dir, node, "protocol");
        if (protocol == null) {
            throw new IllegalArgumentException(file + ": every data set needs a protocol file");
        }
        Path root = path(dir, node, "root");
        return new DataSet(f, protocol, root == null ? protocol.getParent() : root);
    }

}
