package org.sdd4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.sdd4j.api.Detector;
import org.sdd4j.api.FixedShapeScorer;
import org.sdd4j.api.ModelLoader;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.audio.InputConvention;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.tensor.Device;
import org.sdd4j.tensor.Tensor;

/**
 * sdd4j's side of the CPU scoring benchmark: one forward pass timed on an input already in memory,
 * emitting one {@code sdd4j-bench/1} record (benchmarks/README.md) so that benchmarks/peer/report.py
 * sets it beside PyTorch and ONNX Runtime.
 *
 * <pre>
 * benchmarks/bench --model aasist --batch 1 --threads 2 --warmup 3 --iters 20 \
 *     --checkpoint ../shared/models/aasist/AASIST.pth --wav ../shared/fixtures/audio/espeak_1.wav --jsonl out.jsonl
 * </pre>
 */
public final class ScoringBenchmark {
    static final int CROP_STRIDE = 8000;

    private ScoringBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = parse(args);
        String modelName = a.getOrDefault("model", "aasist");
        int batch = Integer.parseInt(a.getOrDefault("batch", "1"));
        int threads = Integer.parseInt(a.getOrDefault("threads", "2"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "3"));
        int iters = Integer.parseInt(a.getOrDefault("iters", "20"));
        Path checkpoint = Path.of(required(a, "checkpoint"));
        Path wav = Path.of(required(a, "wav"));

        float[] clip = AudioReader.read(wav).samples();
        float[] input = benchInput(clip, batch);
        long rssBefore = procStatus("VmRSS");
        long t0 = System.nanoTime();
        try (StateDict sd = ModelLoader.normalise(Checkpoints.open(checkpoint));
             Backend backend = Detector.createBackend(threads)) {
            SpoofModel model = ModelLoader.build(ModelLoader.detect(sd), sd, Optional.empty());
            double loadMs = (System.nanoTime() - t0) / 1e6;
            long weightsBytes = sd.tensors().values().stream().mapToLong(t -> t.numel() * t.dtype().byteSize()).sum();
            List<Double> times = new ArrayList<>();
            float[] logits = null;
            // -Dsdd4j.cuda.graphs=true on the GPU: each pass replays a CUDA graph captured before the timed loop.
            boolean graphs = Boolean.getBoolean(Detector.GRAPHS_PROPERTY) && backend.device() == Device.CUDA;
            FixedShapeScorer graph = graphs ? new FixedShapeScorer(model, backend, batch, InputConvention.AASIST_LENGTH)
                    : null;
            for (int i = 0; i < warmup + iters; i++) {
                long s = System.nanoTime();
                try (Ops ops = new Ops(backend)) {
                    // Upload, forward and download inside the timed pass: on the GPU that is what a caller waits for.
                    Tensor host = Tensor.of(ops.arena(), input, batch, InputConvention.AASIST_LENGTH);
                    logits = graph != null ? graph.logits(host)
                            : ops.download(model.logits(ops, ops.upload(host))).toFloatArray();
                }
                double ms = (System.nanoTime() - s) / 1e6;
                if (i >= warmup) {
                    times.add(ms);
                }
                System.err.printf("sdd4j bench %s b%d: pass %d %.1f ms%n", modelName, batch, i, ms);
            }
            if (graph != null) {
                graph.close();
            }
            ObjectNode rec = record(modelName, batch, threads, warmup, iters, wav, input, times, loadMs, rssBefore,
                    weightsBytes, Files.size(checkpoint), logits, backend);
            String line = new ObjectMapper().writeValueAsString(rec);
            System.out.println(line);
            if (a.containsKey("jsonl")) {
                Files.writeString(Path.of(a.get("jsonl")), line + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        }
    }

    /** Item i: the clip rotated left by i * 8000 samples, then AASIST's pad (benchmarks/README.md). */
    static float[] benchInput(float[] clip, int batch) {
        int n = InputConvention.AASIST_LENGTH;
        float[] out = new float[batch * n];
        for (int i = 0; i < batch; i++) {
            int shift = (int) (((long) i * CROP_STRIDE) % clip.length);
            float[] rotated = new float[clip.length];
            System.arraycopy(clip, shift, rotated, 0, clip.length - shift);
            System.arraycopy(clip, 0, rotated, clip.length - shift, shift);
            System.arraycopy(InputConvention.fixedLength(rotated, n), 0, out, i * n, n);
        }
        return out;
    }

    static ObjectNode record(String model, int batch, int threads, int warmup, int iters, Path wav,
                                     float[] input, List<Double> times, double loadMs, long rssBefore,
                                     long weightsBytes, long fileBytes, float[] logits, Backend backend)
            throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode r = m.createObjectNode();
        r.put("schema", "sdd4j-bench/1");
        boolean gpu = backend.device() == org.sdd4j.tensor.Device.CUDA;
        // On the GPU the products' precision and graph replay are part of the implementation's name: "sdd4j"
        // (float32), "sdd4j-tf32", "sdd4j-bf16", each with "-graph" when replayed as a CUDA graph.
        org.sdd4j.backend.cuda.MatmulPrecision precision = org.sdd4j.backend.cuda.MatmulPrecision.fromProperties();
        String impl = gpu && precision != org.sdd4j.backend.cuda.MatmulPrecision.FLOAT32 ? "sdd4j-" + precision.label()
                : "sdd4j";
        r.put("impl", gpu && Boolean.getBoolean(Detector.GRAPHS_PROPERTY) ? impl + "-graph" : impl);
        r.put("impl_version", Optional.ofNullable(ScoringBenchmark.class.getPackage().getImplementationVersion())
                .orElse("0.1.0-SNAPSHOT"));
        r.put("device", gpu ? "cuda" : "cpu");
        r.put("model", model);
        r.put("batch", batch);
        r.put("threads", threads);
        r.put("warmup", warmup);
        r.put("iters", iters);
        ObjectNode in = r.putObject("input");
        in.put("wav", wav.getFileName().toString());
        in.put("samples", InputConvention.AASIST_LENGTH);
        in.put("crop_stride", CROP_STRIDE);
        in.put("sha256", sha256(input));
        ArrayNode t = r.putArray("times_ms");
        times.forEach(t::add);
        double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = sorted.length;
        r.put("median_ms", n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2);
        r.put("p90_ms", sorted[(int) Math.ceil(0.9 * n) - 1]);
        r.put("p99_ms", sorted[(int) Math.ceil(0.99 * n) - 1]);
        r.put("mean_ms", Arrays.stream(sorted).average().orElse(Double.NaN));
        r.put("min_ms", sorted[0]);
        r.put("clips_per_s", batch * 1000.0 / r.get("median_ms").asDouble());
        r.put("load_ms", loadMs);
        r.put("rss_before_load_bytes", rssBefore);
        r.put("peak_rss_bytes", procStatus("VmHWM"));
        r.put("vm_hwm_bytes", procStatus("VmHWM"));
        // The activation pool: blocks held (in use or cached by size class) and in use, at their peaks.
        r.put("pool_peak_bytes", backend.memory().peakBytes());
        r.put("pool_peak_live_bytes", backend.memory().peakLiveBytes());
        r.put("pool_system_bytes", backend.memory().systemBytes());
        r.put("weights_bytes", weightsBytes);
        r.put("model_file_bytes", fileBytes);
        ArrayNode l = r.putArray("logits");
        for (int i = 0; i < batch; i++) {
            l.addArray().add(logits[2 * i]).add(logits[2 * i + 1]);
        }
        r.put("backend", backend.name());
        ObjectNode host = r.putObject("host");
        host.put("cpu", cpuModel());
        host.put("logical_cpus", Runtime.getRuntime().availableProcessors());
        host.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        r.put("timestamp", Instant.now().toString());
        return r;
    }

    static String sha256(float[] x) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(x);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
    }

    /** A /proc/self/status field in bytes, or -1 where /proc is absent. */
    static long procStatus(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(s -> s.startsWith("model name"))
                    .findFirst().map(s -> s.substring(s.indexOf(':') + 1).trim()).orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got '" + args[i] + "'");
            }
            m.put(args[i].substring(2), args[++i]);
        }
        return m;
    }

    static String required(Map<String, String> a, String key) {
        String v = a.get(key);
        if (v == null) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return v;
    }
}
