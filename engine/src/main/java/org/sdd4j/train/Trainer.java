package org.sdd4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.sdd4j.api.ModelLoader;
import org.sdd4j.augment.RawBoost;
import org.sdd4j.augment.RawBoostAlgorithm;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.audio.Resampler;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Backends;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.data.Batch;
import org.sdd4j.data.LabeledUtterance;
import org.sdd4j.data.Prefetcher;
import org.sdd4j.data.Protocol;
import org.sdd4j.data.Sampler;
import org.sdd4j.data.Seeds;
import org.sdd4j.data.UtteranceLoader;
import org.sdd4j.metrics.Eer;
import org.sdd4j.metrics.Plots;
import org.sdd4j.metrics.ScoreSet;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.model.aasist.Aasist;
import org.sdd4j.model.aasist.AasistConfig;
import org.sdd4j.model.aasist.AasistInit;
import org.sdd4j.model.ssl.AntiDeepfake;
import org.sdd4j.model.ssl.LayerFusionCheckpoint;
import org.sdd4j.model.ssl.LayerFusionConfig;
import org.sdd4j.model.ssl.LayerFusionFfn;
import org.sdd4j.zoo.ModelFamily;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.train.grpo.GrpoStep;

/**
 * Training from a {@link TrainConfig}, one loop for every method: balanced or shuffled batches prefetched on
 * worker threads, RawBoost, Adam(W) with a schedule and clipping, a JSON-lines log of every step and validation,
 * loss, reward and validation-EER plots, and atomic checkpoints that {@code --resume} continues from. What a step
 * does is the method's {@link MethodStep}: supervised cross-entropy ({@link TrainStep}) or GRPO
 * ({@link GrpoStep}). Every random choice (data order, crops, augmentation, dropout, GRPO's label draws) is
 * derived from the seed and the step, so a resumed run follows the same data as an unbroken one.
 */
public final class Trainer {
    /** Written into a run's output folder when it finishes, naming its final checkpoint (stages skip on resume). */
    static final String DONE = "done.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainConfig cfg;
    private final PrintStream log;

    public Trainer(TrainConfig cfg, PrintStream log) {
        this.cfg = cfg;
        this.log = log;
    }

    /**
     * Runs the stages of one config file in order ({@link TrainConfig#loadStages}); each stage after the first
     * starts from the previous stage's final checkpoint. With {@code resume}, finished stages before the last are
     * skipped and the others continue from their newest checkpoints. Returns the last stage's final checkpoint.
     */
    public static Path runStages(List<TrainConfig> stages, PrintStream log, boolean resume) throws IOException {
        Path last = null;
        for (int i = 0; i < stages.size(); i++) {
            TrainConfig stage = last == null ? stages.get(i) : stages.get(i).withInit(last.resolve("model.safetensors"));
            Path done = stage.output().resolve(DONE);
            // A finished earlier stage is skipped; the last one resumes normally (its max_steps may have grown).
            if (resume && i < stages.size() - 1 && Files.isRegularFile(done)) {
                last = stage.output().resolve(JSON.readTree(done.toFile()).get("checkpoint").asText());
                log.printf("stage %d of %d (%s) already finished: %s%n", i + 1, stages.size(), stage.method(), last);
                continue;
            }
            if (stages.size() > 1) {
                log.printf("stage %d of %d: %s%s into %s%n", i + 1, stages.size(), stage.method(),
                        last == null ? "" : " from " + stage.init(), stage.output());
            }
            last = new Trainer(stage, log).run(resume);
        }
        return last;
    }

    /** Runs (or, with {@code resume}, continues) training; returns the last checkpoint folder. */
    public Path run(boolean resume) throws IOException {
        return run(resume, Long.MAX_VALUE);
    }

    /**
     * As {@link #run(boolean)}, stopping after global step {@code stopAfter} as if the process had been
     * killed there: no checkpoint beyond the periodic ones is written (tests of resumption use this).
     */
    public Path run(boolean resume, long stopAfter) throws IOException {
        Files.createDirectories(cfg.output());
        int threads = cfg.threads() > 0 ? cfg.threads() : Runtime.getRuntime().availableProcessors();
        CheckpointStore store = new CheckpointStore(cfg.output());
        Optional<Path> latest = resume ? store.latest() : Optional.empty();
        if (!resume && store.latest().isPresent()) {
            throw new IllegalStateException(cfg.output() + " already has checkpoints: pass --resume to continue, or"
                    + " choose another output folder");
        }
        List<LabeledUtterance> train = Protocol.read(cfg.train().format(), cfg.train().protocol(), cfg.train().root());
        List<LabeledUtterance> valid = cfg.validation() == null ? List.of()
                : Protocol.read(cfg.validation().format(), cfg.validation().protocol(), cfg.validation().root());
        if (train.isEmpty()) {
            throw new IllegalArgumentException(cfg.train().protocol() + ": no training utterances");
        }
        try (Arena arena = Arena.ofShared(); Backend backend = Backends.cpu(threads);
             StateDict initial = initialWeights(arena);
             Parameters params = Parameters.copyOf(withNewHead(initial, arena), trainable(initial), backend)) {
            AasistConfig aasist = aasistConfig(initial);
            LayerFusionConfig fusion = layerFusionConfig(initial);
            Function<StateDict, SpoofModel> build = sd -> aasist != null ? new Aasist(sd, aasist)
                    : fusion != null ? new LayerFusionFfn(sd, fusion)
                    : ModelLoader.build(ModelLoader.detect(sd), sd, Optional.empty());
            SpoofModel model = build.apply(params.stateDict());
            int crop = cfg.crop() > 0 ? cfg.crop() : model.input().fixedLength();
            if (crop <= 0) {
                throw new IllegalArgumentException("model " + model.family() + " takes whole utterances: set crop");
            }
            Adam.Config ac = new Adam.Config(cfg.optimizer().equalsIgnoreCase("adamw") ? Adam.Variant.ADAMW
                    : Adam.Variant.ADAM, cfg.lr(), cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay());
            Sampler sampler = cfg.sampler().equals("shuffled") ? Sampler.shuffled(train, cfg.batchSize(), cfg.seed(), true)
                    : Sampler.balanced(train, cfg.batchSize(), cfg.seed());
            GradientAccumulation accumulation = new GradientAccumulation(cfg.accumulateSteps());
            long perEpoch = accumulation.stepsPerEpoch(sampler.batchesPerEpoch());
            long total = cfg.maxSteps() > 0 ? Math.min(cfg.maxSteps(), perEpoch * cfg.epochs()) : perEpoch * cfg.epochs();
            LrSchedule schedule = switch (cfg.schedule()) {
                case "cosine" -> LrSchedule.cosine(cfg.lr(), cfg.lrMin(), total);
                case "warmup-exponential" -> LrSchedule.warmupExponential(cfg.lr(), cfg.warmup(), cfg.gamma());
                case "constant" -> LrSchedule.constant(cfg.lr());
                default -> throw new IllegalArgumentException("unknown schedule '" + cfg.schedule() + "'");
            };
            // The written config records the crop as the model's input length, so scoring matches training.
            ObjectNode modelConfig = aasist != null ? new AasistConfig(aasist.sincFilters(), aasist.filts(),
                    aasist.firstConv(), aasist.gatDims(), aasist.poolRatios(), aasist.temperatures(), crop).toJson()
                    : fusion != null ? fusion.withInputLength(crop).toJson() : null;
            // The method is built before any restore: GRPO's reference policy is a copy of the starting weights.
            try (Adam adam = new Adam(params, ac);
                 MethodStep step = method(model, params, build, adam, backend)) {
                CheckpointStore.State state = new CheckpointStore.State(0, 0, 0);
                if (latest.isPresent()) {
                    state = store.restore(latest.get(), params, adam);
                    step.restore(store, latest.get(), state.step());
                    log.printf("resuming from %s (step %d)%n", latest.get(), state.step());
                }
                log.printf("training %s with %s (%,d trainable of %,d parameters) on %,d utterances, %d steps,"
                        + " backend %s%n", model.family(), cfg.method(), params.trainableCount(),
                        model.parameterCount(), train.size(), total, backend.name());
                if (!step.memoryReport().isEmpty()) {
                    log.println(step.memoryReport());
                }
                boolean peakLogged = false;
                UtteranceLoader loader = new UtteranceLoader(crop, true, RawBoost.defaults(),
                        RawBoostAlgorithm.of(cfg.rawBoost()));
                Path last = latest.orElse(null);
                long stepNo = state.step();
                long started = System.nanoTime(), startStep = stepNo;
                try (BufferedWriter jsonl = Files.newBufferedWriter(cfg.output().resolve("log.jsonl"),
                        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                    for (int epoch = state.epoch(); epoch < cfg.epochs() && stepNo < total; epoch++) {
                        List<int[]> batches = sampler.epoch(epoch);
                        int skip = epoch == state.epoch() ? state.batchInEpoch() : 0;
                        List<int[]> todo = batches.subList(Math.min(skip, batches.size()), batches.size());
                        int inEpoch = skip;
                        long skippedItems = batches.subList(0, Math.min(skip, batches.size())).stream()
                                .mapToLong(a -> a.length).sum();
                        try (Prefetcher pf = new Prefetcher(train, todo, skippedItems, epoch, cfg.seed(), loader,
                                Math.max(1, cfg.workers()), 2)) {
                            List<MethodStep.MicroBatch> group = new ArrayList<>();
                            while (pf.hasNext() && stepNo < total && stepNo < stopAfter) {
                                Batch b = pf.next();
                                inEpoch++;
                                for (Batch.Failure f : b.failures()) {
                                    log.printf("skipped %s: %s%n", f.utterance().audio(), f.cause().getMessage());
                                }
                                if (!b.examples().isEmpty()) {
                                    List<float[]> wav = new ArrayList<>();
                                    int[] labels = new int[b.examples().size()];
                                    for (int i = 0; i < labels.length; i++) {
                                        wav.add(b.examples().get(i).samples());
                                        labels[i] = b.examples().get(i).utterance().label();
                                    }
                                    int ep = epoch;
                                    long position = accumulation.randomPosition(stepNo, group.size());
                                    Supplier<RandomGenerator> dropout = cfg.dropout()
                                            ? () -> Seeds.forItem(cfg.seed(), ep, position) : null;
                                    group.add(new MethodStep.MicroBatch(wav, labels, position, dropout));
                                }
                                if (!accumulation.endsStep(inEpoch, batches.size()) || group.isEmpty()) {
                                    continue;
                                }
                                MethodStep.Report r = step.run(group, stepNo, schedule.lr(stepNo));
                                group.clear();
                                stepNo++;
                                if (!peakLogged) {
                                    // CPU: the pool holds activations and gradients only (weights live in their
                                    // blocks); GPU: the device allocator holds the weight blocks too.
                                    log.printf("activations peak (first step): %s%n", backend.memoryPeaks());
                                    peakLogged = true;
                                }
                                ObjectNode line = JSON.createObjectNode().put("type", "step").put("step", stepNo)
                                        .put("epoch", epoch).put("loss", r.loss()).put("lr", r.lr());
                                if (!Double.isNaN(r.gradNorm())) {
                                    line.put("grad_norm", r.gradNorm());
                                }
                                r.metrics().forEach(line::put);
                                jsonl.write(JSON.writeValueAsString(line));
                                jsonl.newLine();
                                jsonl.flush();
                                progress(stepNo, total, r, started, startStep);
                                if (cfg.checkpointEvery() > 0 && stepNo % cfg.checkpointEvery() == 0) {
                                    last = store.save(params, adam, modelConfig,
                                            new CheckpointStore.State(stepNo, epoch, inEpoch),
                                            step.checkpointState(stepNo));
                                }
                            }
                        }
                        if (stepNo >= stopAfter) {
                            log.printf("%nstopped after step %d%n", stepNo);
                            return last;
                        }
                        boolean epochDone = inEpoch >= batches.size();
                        if (!valid.isEmpty() && epochDone) {
                            double eer = validate(model, backend, valid, crop);
                            jsonl.write(JSON.writeValueAsString(JSON.createObjectNode().put("type", "validation")
                                    .put("step", stepNo).put("epoch", epoch).put("eer", eer)));
                            jsonl.newLine();
                            jsonl.flush();
                            log.printf("%nepoch %d: validation EER %.2f %% on %,d utterances%n", epoch + 1, eer * 100,
                                    valid.size());
                        }
                        last = store.save(params, adam, modelConfig, epochDone
                                ? new CheckpointStore.State(stepNo, epoch + 1, 0)
                                : new CheckpointStore.State(stepNo, epoch, inEpoch), step.checkpointState(stepNo));
                    }
                }
                plots();
                if (last != null) {
                    Files.writeString(cfg.output().resolve(DONE), JSON.createObjectNode()
                            .put("checkpoint", cfg.output().relativize(last).toString()).put("steps", stepNo).toString());
                }
                log.printf("%ndone: %d steps; checkpoint %s%n", stepNo, last);
                return last;
            }
        }
    }

    /**
     * Which parameters train: all but the configured {@code freeze} prefixes, and never a layer-fusion head's
     * encoder (its point is a frozen encoder, run untaped).
     */
    private java.util.function.Predicate<String> trainable(StateDict initial) {
        boolean fusion = layerFusionConfig(initial) != null;
        return name -> cfg.freeze().stream().noneMatch(name::startsWith)
                && !(fusion && (name.startsWith(LayerFusionFfn.SSL_PREFIX) || name.startsWith(AntiDeepfake.SSL_PREFIX)));
    }

    /** The layer-fusion configuration when training one: from the config file, or beside the init checkpoint. */
    private LayerFusionConfig layerFusionConfig(StateDict initial) {
        if (cfg.init() == null) {
            return cfg.layerFusion() == null ? null : cfg.layerFusion().fusion();
        }
        return ModelLoader.detect(initial) == ModelFamily.LAYER_FUSION
                ? ModelLoader.layerFusionConfig(initial, Optional.empty()) : null;
    }

    /** {@code initial}, or, for a new layer-fusion head, the encoder in it and a head drawn from the seed. */
    private StateDict withNewHead(StateDict initial, Arena arena) {
        if (cfg.init() != null || cfg.layerFusion() == null) {
            return initial;
        }
        return LayerFusionCheckpoint.create(initial, cfg.layerFusion().fusion(), cfg.layerFusion().hidden(),
                Seeds.forItem(cfg.seed(), -1, 0), arena);
    }

    /** The step of this config's method, over the policy {@code model} whose weights are {@code params}. */
    private MethodStep method(SpoofModel model, Parameters params, Function<StateDict, SpoofModel> build, Adam adam,
                              Backend backend) {
        if (cfg.isGrpo()) {
            return new GrpoStep(model, params, build, adam, backend, cfg.clipNorm(), cfg.grpo(), cfg.seed());
        }
        TrainStep sft = new TrainStep(model, params, adam, backend, cfg.classWeights(), cfg.clipNorm());
        return (group, stepNo, lr) -> {
            TrainStep.Result r = sft.run(group.stream().map(m -> new TrainStep.MicroBatch(m.waveforms(), m.labels(),
                    m.dropout() == null ? null : m.dropout().get())).toList(), lr);
            return new MethodStep.Report(r.loss(), r.gradNorm(), r.lr(), Map.of());
        };
    }

    /** The starting weights: a checkpoint to fine-tune, or fresh AASIST weights from the config. */
    private StateDict initialWeights(Arena arena) throws IOException {
        if (cfg.init() != null) {
            return ModelLoader.normalise(Checkpoints.open(cfg.init()));
        }
        if (cfg.layerFusion() != null) {
            // The encoder's checkpoint; withNewHead puts a fresh head beside its encoder.
            return ModelLoader.normalise(Checkpoints.open(cfg.layerFusion().encoder()));
        }
        if (!cfg.family().equals("aasist") || cfg.modelConfig() == null) {
            throw new IllegalArgumentException(cfg.file() + ": training from scratch needs model.family 'aasist' and"
                    + " model.config (an AASIST .conf), or model.family 'layer-fusion' and model.encoder; other families"
                    + " start from model.init");
        }
        AasistConfig c = AasistConfig.fromJson(JSON.readTree(cfg.modelConfig().toFile()));
        return AasistInit.create(c, Seeds.forItem(cfg.seed(), -1, 0), arena);
    }

    private AasistConfig aasistConfig(StateDict sd) throws IOException {
        if (cfg.init() == null && cfg.layerFusion() != null) {
            return null;
        }
        if (cfg.modelConfig() != null) {
            return AasistConfig.fromJson(JSON.readTree(cfg.modelConfig().toFile()));
        }
        return ModelLoader.detect(sd) == org.sdd4j.zoo.ModelFamily.AASIST
                ? ModelLoader.aasistConfig(sd, Optional.empty()) : null;
    }

    /** EER on the validation list in inference mode (first {@code crop} samples, tiled if short). */
    private double validate(SpoofModel model, Backend backend, List<LabeledUtterance> items, int crop) {
        List<Double> bona = new ArrayList<>(), spoof = new ArrayList<>();
        for (LabeledUtterance u : items) {
            float[] x;
            try {
                var clip = Resampler.resample(AudioReader.read(u.audio()), UtteranceLoader.SAMPLE_RATE);
                x = org.sdd4j.audio.InputConvention.fixedLength(clip.samples(), crop);
            } catch (IOException | RuntimeException e) {
                log.printf("validation: skipped %s: %s%n", u.audio(), e.getMessage());
                continue;
            }
            try (Ops ops = new Ops(backend)) {
                Tensor l = ops.download(model.logits(ops, ops.upload(Tensor.of(ops.arena(), x, 1, x.length))));
                double s = model.scoreRule().score(l.getFloat(0), l.getFloat(1));
                (u.isBonaFide() ? bona : spoof).add(s);
            }
        }
        if (bona.isEmpty() || spoof.isEmpty()) {
            throw new IllegalStateException("validation needs both classes; got " + bona.size() + " bona fide and "
                    + spoof.size() + " spoofed utterances");
        }
        return Eer.of(new ScoreSet(bona.stream().mapToDouble(Double::doubleValue).toArray(),
                spoof.stream().mapToDouble(Double::doubleValue).toArray())).rate();
    }

    private void progress(long step, long total, MethodStep.Report r, long started, long startStep) {
        double secs = (System.nanoTime() - started) / 1e9;
        double rate = (step - startStep) / Math.max(secs, 1e-9);
        long eta = (long) ((total - step) / Math.max(rate, 1e-9));
        int width = 30, filled = (int) (width * step / Math.max(total, 1));
        Double reward = r.metrics().get("reward_mean");
        log.printf("\r[%s%s] %d/%d loss %.4f%s lr %.2e %.2f s/step ETA %d:%02d:%02d ", "#".repeat(filled),
                ".".repeat(width - filled), step, total, r.loss(),
                reward == null ? "" : String.format(" reward %.3f", reward), r.lr(), 1 / Math.max(rate, 1e-9),
                eta / 3600, eta / 60 % 60, eta % 60);
        log.flush();
    }

    /** Loss, reward and validation-EER curves from the whole log (earlier runs of a resumed training included). */
    private void plots() throws IOException {
        List<double[]> losses = new ArrayList<>(), eers = new ArrayList<>(), rewards = new ArrayList<>();
        for (String line : Files.readAllLines(cfg.output().resolve("log.jsonl"), StandardCharsets.UTF_8)) {
            var n = JSON.readTree(line);
            if (n.path("type").asText().equals("step")) {
                losses.add(new double[] {n.get("step").asDouble(), n.get("loss").asDouble()});
                if (n.has("reward_mean")) {
                    rewards.add(new double[] {n.get("step").asDouble(), n.get("reward_mean").asDouble()});
                }
            } else if (n.path("type").asText().equals("validation")) {
                eers.add(new double[] {n.get("epoch").asDouble() + 1, n.get("eer").asDouble() * 100});
            }
        }
        Path dir = cfg.output().resolve("plots");
        if (!losses.isEmpty()) {
            Plots.writeCurve(dir, "loss", "Training loss", "step", cfg.isGrpo() ? "GRPO loss" : "weighted cross-entropy",
                    losses.stream().mapToDouble(v -> v[0]).toArray(), losses.stream().mapToDouble(v -> v[1]).toArray());
        }
        if (!rewards.isEmpty()) {
            Plots.writeCurve(dir, "reward", "Mean reward of the sampled labels", "step", "reward",
                    rewards.stream().mapToDouble(v -> v[0]).toArray(), rewards.stream().mapToDouble(v -> v[1]).toArray());
        }
        if (!eers.isEmpty()) {
            Plots.writeCurve(dir, "validation_eer", "Validation EER", "epoch", "EER (%)",
                    eers.stream().mapToDouble(v -> v[0]).toArray(), eers.stream().mapToDouble(v -> v[1]).toArray());
        }
    }
}
