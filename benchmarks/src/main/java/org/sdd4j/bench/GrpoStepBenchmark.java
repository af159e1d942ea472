package org.sdd4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
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
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.train.Adam;
import org.sdd4j.train.MethodStep;
import org.sdd4j.train.Parameters;
import org.sdd4j.train.grpo.GrpoOptions;
import org.sdd4j.train.grpo.GrpoStep;
import org.sdd4j.zoo.ModelFamily;

/**
 * sdd4j's side of the CPU GRPO benchmark: one {@link GrpoStep} (old and reference passes without a tape, the
 * policy pass, label sampling, advantages, clipped-ratio loss with k3 KL, backward, clipping at 100, AdamW lr 1e-6,
 * wd 0.01, eps 1e-6) timed per iteration, emitting one {@code sdd4j-bench/1} record with {@code "task": "grpo-step"}
 * beside benchmarks/peer/torch_grpo_bench.py, whose input, labels, G and optimiser it mirrors.
 *
 * <pre>
 * SDD4J_BENCH_MAIN=org.sdd4j.bench.GrpoStepBenchmark benchmarks/bench --model ssl-aasist-mini --batch 8 --group 64 \
 *     --threads 2 --warmup 1 --iters 3 --checkpoint ../shared/fixtures/reference/ssl_aasist_mini.pth \
 *     --wav ../shared/fixtures/audio/espeak_1.wav --jsonl out/grpo.jsonl
 * </pre>
 */
public final class GrpoStepBenchmark {
    private static final long DROPOUT_SEED = 20260301L;
    private static final Adam.Config ADAMW = new Adam.Config(Adam.Variant.ADAMW, 1e-6, 0.9, 0.999, 1e-6, 0.01);

    private GrpoStepBenchmark() {
    }

    /** {@code model}, keeping the logits of its latest pass in {@code last[0]} (the record's train-mode logits). */
    private static SpoofModel spy(SpoofModel model, float[][] last) {
        return new SpoofModel() {
            @Override
            public org.sdd4j.tensor.Tensor logits(org.sdd4j.backend.Ops ops, org.sdd4j.tensor.Tensor waveforms) {
                org.sdd4j.tensor.Tensor out = model.logits(ops, waveforms);
                last[0] = ops.download(out).toFloatArray();
                return out;
            }

            @Override
            public String family() {
                return model.family();
            }

            @Override
            public org.sdd4j.model.InputSpec input() {
                return model.input();
            }

            @Override
            public org.sdd4j.model.ScoreRule scoreRule() {
                return model.scoreRule();
            }

            @Override
            public long parameterCount() {
                return model.parameterCount();
            }
        };
    }

    /** Median as the record's median_ms: the mean of the two middle values when the count is even. */
    private static double median(List<Double> v) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = ScoringBenchmark.parse(args);
        String modelId = ScoringBenchmark.required(a, "model");
        int batch = Integer.parseInt(a.getOrDefault("batch", "8"));
        int group = Integer.parseInt(a.getOrDefault("group", "64"));
        int threads = Integer.parseInt(a.getOrDefault("threads", "2"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "1"));
        int iters = Integer.parseInt(a.getOrDefault("iters", "3"));
        Path checkpoint = Path.of(ScoringBenchmark.required(a, "checkpoint"));
        Path wav = Path.of(ScoringBenchmark.required(a, "wav"));
        float[] input = ScoringBenchmark.benchInput(AudioReader.read(wav).samples(), batch);
        int n = InputConvention.AASIST_LENGTH;
        List<float[]> waveforms = new ArrayList<>();
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            waveforms.add(Arrays.copyOfRange(input, i * n, (i + 1) * n));
            labels[i] = i % 2;
        }
        GrpoOptions d = GrpoOptions.defaults();
        GrpoOptions options = new GrpoOptions(d.variant(), d.reward(), d.advantage(), group, d.clipEps(), d.beta(),
                d.refreshEvery());

        long rssBefore = ScoringBenchmark.procStatus("VmRSS");
        long t0 = System.nanoTime();
        Parameters params;
        long weightsBytes;
        SpoofModel model;
        ModelFamily family;
        // Parameters live where the backend computes (device memory on a GPU).
        Backend backend = Detector.createBackend(threads);
        try (StateDict sd = ModelLoader.normalise(Checkpoints.open(checkpoint))) {
            family = ModelLoader.detect(sd);
            weightsBytes = sd.tensors().values().stream().mapToLong(t -> t.numel() * t.dtype().byteSize()).sum();
            params = Parameters.copyOf(sd, name -> true, backend);
            model = ModelLoader.build(family, params.stateDict(), Optional.empty());
        }
        float[][] lastLogits = new float[1][];
        SpoofModel policy = spy(model, lastLogits);
        ModelFamily f = family;
        try (params; backend; Adam adam = new Adam(params, ADAMW);
             GrpoStep step = new GrpoStep(policy, params, sd -> ModelLoader.build(f, sd, Optional.empty()), adam,
                     backend, 100, options, 11)) {
            double loadMs = (System.nanoTime() - t0) / 1e6;
            System.err.println(step.memoryReport());
            List<Double> times = new ArrayList<>(), cpuTimes = new ArrayList<>(), losses = new ArrayList<>();
            // Process CPU time (all threads: compute pool, GC, JIT) per step: on a shared machine the wall time
            // swings with the load, the CPU time much less, so the record carries both (the peer does the same).
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            for (int i = 0; i < warmup + iters; i++) {
                long seed = DROPOUT_SEED + i;
                long s = System.nanoTime(), cpu = os.getProcessCpuTime();
                MethodStep.Report r = step.run(List.of(new MethodStep.MicroBatch(waveforms, labels, i,
                        () -> new SplittableRandom(seed))), i, ADAMW.lr());
                double ms = (System.nanoTime() - s) / 1e6, cpuMs = (os.getProcessCpuTime() - cpu) / 1e6;
                losses.add(r.loss());
                if (i >= warmup) {
                    times.add(ms);
                    cpuTimes.add(cpuMs);
                }
                System.err.printf("sdd4j grpo %s b%d G%d: step %d/%d %.1f ms (cpu %.1f ms), loss %.6f, reward %.3f,"
                                + " pool peak %s%n", modelId, batch, group, i + 1, warmup + iters, ms, cpuMs, r.loss(),
                        r.metrics().get("reward_mean"), backend.memory().peaks());
            }
            ObjectNode rec = ScoringBenchmark.record(modelId, batch, threads, warmup, iters, wav, input, times, loadMs,
                    rssBefore, weightsBytes, Files.size(checkpoint), lastLogits[0], backend);
            rec.put("task", "grpo-step");
            rec.put("group_size", group);
            rec.put("clip_eps", options.clipEps());
            rec.put("kl_weight", options.beta());
            rec.put("clip_norm", 100.0);
            ArrayNode cs = rec.putArray("cpu_times_ms");
            cpuTimes.forEach(cs::add);
            rec.put("cpu_median_ms", median(cpuTimes));
            ArrayNode ls = rec.putArray("losses");
            losses.forEach(ls::add);
            rec.put("trainable_params", params.trainableCount());
            String line = new ObjectMapper().writeValueAsString(rec);
            System.out.println(line);
            if (a.containsKey("jsonl")) {
                Files.writeString(Path.of(a.get("jsonl")), line + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        }
    }
}
