package org.sdd4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.sdd4j.api.Detector;
import org.sdd4j.api.ModelLoader;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.audio.InputConvention;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.InputSpec;
import org.sdd4j.model.ScoreRule;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.train.Adam;
import org.sdd4j.train.Parameters;
import org.sdd4j.train.TrainStep;
import org.sdd4j.zoo.ModelFamily;

/**
 * sdd4j's side of the CPU training benchmark: one supervised fine-tuning step ({@link TrainStep#run}:
 * zero the gradients, forward in training mode, weighted cross-entropy, backward, Adam update) timed per
 * iteration, emitting one {@code sdd4j-bench/1} record with {@code "task": "sft-step"} beside
 * benchmarks/peer/torch_train_bench.py, whose command line, input, labels, loss and optimiser it mirrors.
 *
 * <pre>
 * SDD4J_BENCH_MAIN=org.sdd4j.bench.TrainStepBenchmark benchmarks/bench --model aasist-l --batch 8 --threads 2 \
 *     --warmup 1 --iters 3 --checkpoint ../shared/models/aasist/AASIST-L.pth \
 *     --wav ../shared/fixtures/audio/espeak_1.wav --jsonl out/train.jsonl
 * </pre>
 */
public final class TrainStepBenchmark {
    /** CrossEntropyLoss(weight=[0.1, 0.9]) of the SSL-AASIST recipe, used by the peer for every model. */
    private static final float[] CLASS_WEIGHTS = {0.1f, 0.9f};
    /** Seed of the back end's dropout masks: the peer keeps the published dropouts active, so do we. */
    private static final long DROPOUT_SEED = 20260301L;

    /** The peer's models, each with its family and the optimiser torch_train_bench.py gives it. */
    private enum Model {
        AASIST_L("aasist-l", ModelFamily.AASIST, Adam.Config.adam(1e-4, 1e-4)),
        SSL_AASIST_MINI("ssl-aasist-mini", ModelFamily.SSL_AASIST, Adam.Config.adam(1e-6, 1e-4)),
        SSL_AASIST_300M("ssl-aasist-300m", ModelFamily.SSL_AASIST, Adam.Config.adam(1e-6, 1e-4));

        final String id;
        final ModelFamily family;
        final Adam.Config optimizer;

        Model(String id, ModelFamily family, Adam.Config optimizer) {
            this.id = id;
            this.family = family;
            this.optimizer = optimizer;
        }

        static Model of(String id) {
            for (Model m : values()) {
                if (m.id.equals(id)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("--model " + id + ": expected aasist-l, ssl-aasist-mini or ssl-aasist-300m");
        }
    }

    private TrainStepBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = ScoringBenchmark.parse(args);
        Model model = Model.of(ScoringBenchmark.required(a, "model"));
        int batch = Integer.parseInt(a.getOrDefault("batch", "8"));
        int threads = Integer.parseInt(a.getOrDefault("threads", "2"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "1"));
        int iters = Integer.parseInt(a.getOrDefault("iters", "2"));
        if (batch < 1 || iters < 1 || warmup < 0 || threads < 1) {
            throw new IllegalArgumentException("batch, iters and threads must be >= 1, warmup >= 0");
        }
        Path checkpoint = Path.of(ScoringBenchmark.required(a, "checkpoint"));
        Path wav = Path.of(ScoringBenchmark.required(a, "wav"));

        float[] input = ScoringBenchmark.benchInput(AudioReader.read(wav).samples(), batch);
        int n = InputConvention.AASIST_LENGTH;
        List<float[]> waveforms = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            waveforms.add(Arrays.copyOfRange(input, i * n, (i + 1) * n));
        }
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = i % 2;
        }

        long rssBefore = ScoringBenchmark.procStatus("VmRSS");
        long t0 = System.nanoTime();
        Parameters params;
        long weightsBytes;
        SpoofModel built;
        // The writable copy is all training needs: the mapped checkpoint is closed before the first step, so
        // its pages do not count towards the peak (torch likewise frees the loaded state dict).
        // Parameters live where the backend computes (device memory on a GPU).
        Backend backend = Detector.createBackend(threads);
        try (StateDict sd = ModelLoader.normalise(Checkpoints.open(checkpoint))) {
            ModelFamily family = ModelLoader.detect(sd);
            if (family != model.family) {
                throw new IllegalArgumentException("--checkpoint " + checkpoint + " holds a " + family
                        + " model, not " + model.id);
            }
            weightsBytes = sd.tensors().values().stream().mapToLong(t -> t.numel() * t.dtype().byteSize()).sum();
            params = Parameters.copyOf(sd, name -> true, backend); // the reference loops hand every parameter to Adam
            built = ModelLoader.build(family, params.stateDict(), Optional.empty());
        }
        LastLogits spy = new LastLogits(built);
        try (params; backend;
             Adam adam = new Adam(params, model.optimizer)) {
            double loadMs = (System.nanoTime() - t0) / 1e6;
            TrainStep step = new TrainStep(spy, params, adam, backend, CLASS_WEIGHTS, Double.POSITIVE_INFINITY);
            SplittableRandom dropout = new SplittableRandom(DROPOUT_SEED);
            List<Double> times = new ArrayList<>();
            List<Double> losses = new ArrayList<>();
            for (int i = 0; i < warmup + iters; i++) {
                long s = System.nanoTime();
                TrainStep.Result r = step.run(waveforms, labels, model.optimizer.lr(), dropout);
                double ms = (System.nanoTime() - s) / 1e6;
                losses.add(r.loss());
                if (i >= warmup) {
                    times.add(ms);
                }
                System.err.printf("sdd4j train %s b%d: step %d/%d %.1f ms, loss %.6f, pool peak %s%n", model.id,
                        batch, i + 1, warmup + iters, ms, r.loss(), backend.memory().peaks());
            }
            ObjectNode rec = ScoringBenchmark.record(model.id, batch, threads, warmup, iters, wav, input, times,
                    loadMs, rssBefore, weightsBytes, Files.size(checkpoint), spy.last, backend);
            rec.put("task", "sft-step");
            ObjectNode opt = rec.putObject("optimizer");
            Adam.Config c = model.optimizer;
            opt.put("optimizer", c.variant() == Adam.Variant.ADAM ? "Adam" : "AdamW");
            opt.put("lr", c.lr());
            opt.putArray("betas").add(c.beta1()).add(c.beta2());
            opt.put("eps", c.eps());
            opt.put("weight_decay", c.weightDecay());
            opt.put("amsgrad", false);
            ObjectNode loss = rec.putObject("loss");
            loss.put("kind", "CrossEntropyLoss");
            loss.putArray("class_weights").add(0.1).add(0.9);
            ArrayNode l = rec.putArray("labels");
            for (int y : labels) {
                l.add(y);
            }
            ArrayNode ls = rec.putArray("losses");
            losses.forEach(ls::add);
            rec.put("trainable_params", params.trainableCount());
            rec.put("dropout", "back end as published, seed " + DROPOUT_SEED);
            String line = new ObjectMapper().writeValueAsString(rec);
            System.out.println(line);
            if (a.containsKey("jsonl")) {
                Files.writeString(Path.of(a.get("jsonl")), line + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        }
    }

    /** The model, keeping a copy of the logits of its latest forward pass (the record's train-mode logits). */
    private static final class LastLogits implements SpoofModel {
        private final SpoofModel model;
        float[] last;

        LastLogits(SpoofModel model) {
            this.model = model;
        }

        @Override
        public Tensor logits(Ops ops, Tensor waveforms) {
            Tensor out = model.logits(ops, waveforms);
            last = ops.download(out).toFloatArray();
            return out;
        }

        @Override
        public String family() {
            return model.family();
        }

        @Override
        public InputSpec input() {
            return model.input();
        }

        @Override
        public ScoreRule scoreRule() {
            return model.scoreRule();
        }

        @Override
        public long parameterCount() {
            return model.parameterCount();
        }
    }
}
