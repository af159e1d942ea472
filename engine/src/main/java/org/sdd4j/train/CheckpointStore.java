package org.sdd4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.SafetensorsWriter;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.Tensor;

/**
 * Training checkpoints under {@code <run>/checkpoints/step-NNNNNNNN/}: {@code model.safetensors} (every
 * weight and statistic, under the original names, so {@code sdd4j score} loads it), {@code config.json}
 * (the architecture), {@code optimizer.safetensors} (Adam moments) and {@code state.json} (step, epoch,
 * position, per-parameter optimiser steps). A checkpoint is written into a temporary folder and renamed
 * into place, so a killed run leaves either the previous checkpoint or the new one, never half of one.
 */
public final class CheckpointStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;

    public CheckpointStore(Path runDir) {
        this.dir = runDir.resolve("checkpoints");
    }

    /** Where the training run stands, as saved. */
    public record State(long step, int epoch, int batchInEpoch) {
    }

    public Path save(Parameters params, Adam adam, JsonNode modelConfig, State state) throws IOException {
        return save(params, adam, modelConfig, state, Map.of());
    }

    /**
     * As above, with further weight blocks a method needs to resume (e.g. GRPO's old policy), each written as
     * {@code <name>.safetensors}.
     */
    public Path save(Parameters params, Adam adam, JsonNode modelConfig, State state, Map<String, Parameters> extra)
            throws IOException {
        Files.createDirectories(dir);
        String name = String.format("step-%08d", state.step());
        Path tmp = Files.createTempDirectory(dir, name + ".tmp");
        // Device blocks (GPU training) are copied to the host here, into an arena that lives for the writes.
        ObjectNode steps = JSON.createObjectNode();
        try (Arena staging = Arena.ofConfined()) {
            Map<String, Tensor> weights = new LinkedHashMap<>(), moments = new LinkedHashMap<>();
            for (Parameters.Entry e : params.entries()) {
                weights.put(e.name(), params.toHost(e.value(), staging));
                Tensor[] mv = adam.moments(e.name());
                if (mv != null) {
                    moments.put(e.name() + ".exp_avg", params.toHost(mv[0], staging));
                    moments.put(e.name() + ".exp_avg_sq", params.toHost(mv[1], staging));
                    steps.put(e.name(), adam.steps(e.name()));
                }
            }
            SafetensorsWriter.write(tmp.resolve("model.safetensors"), weights, Map.of("format", "pt", "writer", "sdd4j"));
            SafetensorsWriter.write(tmp.resolve("optimizer.safetensors"), moments);
        }
        for (var x : extra.entrySet()) {
            try (Arena staging = Arena.ofConfined()) {
                Map<String, Tensor> block = new LinkedHashMap<>();
                x.getValue().entries().forEach(e -> block.put(e.name(), x.getValue().toHost(e.value(), staging)));
                SafetensorsWriter.write(tmp.resolve(x.getKey() + ".safetensors"), block);
            }
        }
        if (modelConfig != null) {
            Files.writeString(tmp.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(modelConfig));
        }
        ObjectNode s = JSON.createObjectNode();
        s.put("step", state.step());
        s.put("epoch", state.epoch());
        s.put("batch_in_epoch", state.batchInEpoch());
        s.set("optimizer_steps", steps);
        Files.writeString(tmp.resolve("state.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s));
        Path target = dir.resolve(name);
        if (Files.exists(target)) {
            deleteTree(target);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        }
        return target;
    }

    /** The newest complete checkpoint, if any (temporary folders of a killed save are ignored). */
    public Optional<Path> latest() throws IOException {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d{8}"))
                    .filter(p -> Files.isRegularFile(p.resolve("state.json")))
                    .max(Comparator.comparing(p -> p.getFileName().toString()));
        }
    }

    /** Loads a checkpoint's weights and optimiser state into {@code params} and {@code adam}. */
    public State restore(Path checkpoint, Parameters params, Adam adam) throws IOException {
        JsonNode s = JSON.readTree(checkpoint.resolve("state.json").toFile());
        try (StateDict w = Checkpoints.open(checkpoint.resolve("model.safetensors"));
             StateDict m = Checkpoints.open(checkpoint.resolve("optimizer.safetensors"))) {
            for (Parameters.Entry e : params.entries()) {
                params.load(e.value(), w.require(e.name(), e.value().shape()));
                if (s.path("optimizer_steps").has(e.name())) {
                    adam.restore(e.name(), s.get("optimizer_steps").get(e.name()).asLong(),
                            m.require(e.name() + ".exp_avg"), m.require(e.name() + ".exp_avg_sq"));
                }
            }
        }
        return new State(s.get("step").asLong(), s.get("epoch").asInt(), s.get("batch_in_epoch").asInt());
    }

    /**
     * Loads the weight block {@code name} that {@link #save(Parameters, Adam, JsonNode, State, Map)} wrote into
     * {@code into}; false when the checkpoint holds none.
     */
    public boolean restoreExtra(Path checkpoint, String name, Parameters into) throws IOException {
        Path file = checkpoint.resolve(name + ".safetensors");
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (StateDict w = Checkpoints.open(file)) {
            for (Parameters.Entry e : into.entries()) {
                into.load(e.value(), w.require(e.name(), e.value().shape()));
            }
        }
        return true;
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
