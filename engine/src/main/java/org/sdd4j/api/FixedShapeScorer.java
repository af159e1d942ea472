package org.sdd4j.api;

import java.lang.foreign.Arena;

import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Ops;
import org.sdd4j.backend.cuda.CudaBackend;
import org.sdd4j.backend.cuda.CudaGraph;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.tensor.Tensor;

/**
 * Logits for batches of one fixed shape {@code [batch, samples]}, as fast as the backend allows: on the CUDA
 * backend the forward pass is captured once as a CUDA graph and each call replays it (one launch instead of one
 * host call per kernel, the cost that dominates batch-1 latency); on the CPU backends it is an ordinary forward
 * pass. For services that score one clip length at one batch size.
 *
 * <pre>{@code
 * try (FixedShapeScorer scorer = new FixedShapeScorer(detector.model(), detector.backend(), 1, 64_600)) {
 *     float[] logits = scorer.logits(batch);   // [spoof, bona fide] per utterance
 * }
 * }</pre>
 *
 * <p>The graph reads the weights where they were at capture: build a new scorer after changing them.
 */
public final class FixedShapeScorer implements AutoCloseable {
    private final SpoofModel model;
    private final Backend backend;
    private final int batch;
    private final int samples;
    /** Holds the captured pass's input, output and activations for as long as the graph replays them. */
    private final Ops scope;
    private final Tensor input;
    private final Tensor output;
    private final CudaGraph graph;

    public FixedShapeScorer(SpoofModel model, Backend backend, int batch, int samples) {
        if (batch < 1 || samples < 1) {
            throw new IllegalArgumentException("batch and samples must be positive, got " + batch + " x " + samples);
        }
        this.model = model;
        this.backend = backend;
        this.batch = batch;
        this.samples = samples;
        if (!(backend instanceof CudaBackend gpu)) {
            scope = null;
            input = output = null;
            graph = null;
            return;
        }
        // One eager pass first: parameters are uploaded and per-model caches filled outside the recording.
        try (Ops warm = new Ops(gpu)) {
            warm.download(model.logits(warm, warm.zeros(batch, samples)));
        }
        Ops s = new Ops(gpu);
        try {
            Tensor in = s.zeros(batch, samples);
            Tensor[] out = new Tensor[1];
            graph = gpu.capture(() -> out[0] = model.logits(s, in));
            input = in;
            output = out[0];
            scope = s;
        } catch (RuntimeException | Error e) {
            s.close();
            throw e;
        }
    }

    /** Whether calls replay a CUDA graph (the CUDA backend) rather than run the forward pass. */
    public boolean graphed() {
        return graph != null;
    }

    /**
     * Logits {@code [batch, 2]} (spoof, bona fide per utterance, flattened) of {@code waveforms}, a host tensor
     * {@code [batch, samples]}.
     */
    public synchronized float[] logits(Tensor waveforms) {
        Ops.requireShape(waveforms, "waveforms", batch, samples);
        if (graph == null) {
            try (Ops ops = new Ops(backend)) {
                return ops.download(model.logits(ops, ops.upload(waveforms))).toFloatArray();
            }
        }
        backend.copy(waveforms, input);
        graph.launch();
        try (Arena arena = Arena.ofConfined()) {
            Tensor host = Tensor.zeros(arena, output.shape());
            backend.copy(output, host);
            return host.toFloatArray();
        }
    }

    @Override
    public synchronized void close() {
        if (graph != null) {
            graph.close();
            scope.close();
        }
    }
}
