package org.sdd4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import org.sdd4j.api.ModelLoader;
import org.sdd4j.audio.InputConvention;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Backends;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.SpoofModel;

/**
 * The two floors of one forward pass on a device: its floating-point work over the device's measured peak
 * product throughput, and the bytes it must move over the measured copy bandwidth (both from GpuKernelBench's
 * PEAK lines). The work is counted by running the pass once on the CPU through {@link OpCounter}: the products'
 * and convolutions' multiply-adds, and every operation's tensors read or written once (op by op, nothing fused),
 * besides the weights alone (the least any execution reads). A measured time under a floor would be an error;
 * the ratio of the time to the larger floor says how much is left.
 *
 * <pre>
 * SDD4J_BENCH_MAIN=org.sdd4j.bench.FloorReport benchmarks/bench --model aasist --checkpoint AASIST.pth --batch 1 \
 *     --tflops 51 --bandwidth-gbs 3000
 * </pre>
 */
public final class FloorReport {
    private FloorReport() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = ScoringBenchmark.parse(args);
        String modelName = ScoringBenchmark.required(a, "model");
        Path checkpoint = Path.of(ScoringBenchmark.required(a, "checkpoint"));
        int batch = Integer.parseInt(a.getOrDefault("batch", "1"));
        double tflops = Double.parseDouble(ScoringBenchmark.required(a, "tflops"));
        double bandwidth = Double.parseDouble(ScoringBenchmark.required(a, "bandwidth-gbs"));
        int threads = Integer.parseInt(a.getOrDefault("threads", String.valueOf(Runtime.getRuntime()
                .availableProcessors())));
        OpCounter counter = new OpCounter();
        try (StateDict sd = ModelLoader.normalise(Checkpoints.open(checkpoint));
             Backend cpu = Backends.select("vector", threads).backend()) {
            SpoofModel model = ModelLoader.build(ModelLoader.detect(sd), sd, Optional.empty());
            long weightBytes = sd.tensors().values().stream().mapToLong(t -> t.numel() * t.dtype().byteSize()).sum();
            try (Ops ops = new Ops(counter.wrap(cpu))) {
                model.logits(ops, ops.zeros(batch, InputConvention.AASIST_LENGTH));
            }
            double computeMs = counter.flops() / (tflops * 1e9);
            double memoryMs = counter.bytes() / (bandwidth * 1e6);
            double weightsMs = weightBytes / (bandwidth * 1e6);
            ObjectNode r = new ObjectMapper().createObjectNode();
            r.put("schema", "sdd4j-floor/1").put("model", modelName).put("batch", batch)
                    .put("samples", InputConvention.AASIST_LENGTH).put("gflop", counter.flops() / 1e9)
                    .put("op_bytes_gb", counter.bytes() / 1e9).put("weight_bytes_gb", weightBytes / 1e9)
                    .put("backend_calls", counter.calls()).put("peak_tflops", tflops)
                    .put("bandwidth_gbs", bandwidth).put("compute_floor_ms", computeMs)
                    .put("memory_floor_ms", memoryMs).put("weights_floor_ms", weightsMs);
            String line = new ObjectMapper().writeValueAsString(r);
            System.out.printf("%s b%d: %.2f GFLOP -> %.3f ms at %.0f TFLOP/s; %.3f GB op by op -> %.3f ms, weights"
                            + " %.3f GB -> %.3f ms at %.0f GB/s; %d backend calls%n", modelName, batch,
                    counter.flops() / 1e9, computeMs, tflops, counter.bytes() / 1e9, memoryMs, weightBytes / 1e9,
                    weightsMs, bandwidth, counter.calls());
            System.out.println(line);
            if (a.containsKey("jsonl")) {
                Files.writeString(Path.of(a.get("jsonl")), line + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        }
    }
}
