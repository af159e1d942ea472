package org.sdd4j.drift;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.LayerRecorder;
import org.sdd4j.backend.Ops;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.tensor.Tensor;

/**
 * A {@link LayerRecorder} that keeps one feature vector per utterance and reported layer: the layer output
 * mean-pooled over its time or node axis. Feature maps {@code [B, C, (F,) T]} are averaged over time T,
 * keeping channels by frequency bands ({@code C * F} features); frame and node sequences {@code [B, N, D]}
 * over their N frames or nodes (D features); vectors {@code [B, D]} are kept as they are.
 *
 * <p>Pooling makes outputs of utterances of different lengths comparable and keeps memory at one small
 * vector per layer and utterance.
 */
public final class PooledFeatures implements LayerRecorder {
    private final Map<String, Layer> layers = new LinkedHashMap<>();

    /** One layer's pooled features, one row per utterance in the order they ran. */
    private record Layer(Layout layout, List<double[]> rows) {
    }

    /**
     * Runs {@code model} over {@code inputs} (each already shaped by {@code model.input()}) and collects
     * every layer it reports. Inputs of equal length share forward passes of up to {@code batchSize}.
     *
     * @param done told after each forward pass how many inputs have run (null: nobody is told)
     */
    public static PooledFeatures collect(SpoofModel model, Backend backend, List<float[]> inputs, int batchSize,
                                         IntConsumer done) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, was " + batchSize);
        }
        PooledFeatures features = new PooledFeatures();
        // Batches are runs of consecutive inputs of one length, so rows stay in input order.
        for (int from = 0; from < inputs.size(); ) {
            int length = inputs.get(from).length;
            int to = from + 1;
            while (to < inputs.size() && to - from < batchSize && inputs.get(to).length == length) {
                to++;
            }
            features.run(model, backend, inputs.subList(from, to));
            from = to;
            if (done != null) {
                done.accept(from);
            }
        }
        return features;
    }

    private void run(SpoofModel model, Backend backend, List<float[]> batch) {
        int b = batch.size(), t = batch.getFirst().length;
        try (Ops ops = new Ops(backend, this)) {
            Tensor wav = Tensor.zeros(ops.arena(), org.sdd4j.tensor.DType.F32, b, t);
            for (int q = 0; q < b; q++) {
                MemorySegment.copy(batch.get(q), 0, wav.data(), ValueLayout.JAVA_FLOAT_UNALIGNED,
                        (long) q * t * Float.BYTES, t);
            }
            running = backend;
            model.logits(ops, ops.upload(wav));
        } finally {
            running = null;
        }
    }

    /** The backend of the forward pass being recorded: GPU layer outputs are copied down through it. */
    private Backend running;

    @Override
    public void record(String layer, Tensor output, Layout layout) {
        if (output.device() != org.sdd4j.tensor.Device.CPU) {
            try (java.lang.foreign.Arena host = java.lang.foreign.Arena.ofConfined()) {
                Tensor copy = Tensor.zeros(host, org.sdd4j.tensor.DType.F32, output.shape());
                running.copy(output, copy);
                record(layer, copy, layout);
            }
            return;
        }
        int b = output.dim(0);
        int pooled = switch (layout) {
            case FEATURE_MAP -> output.dim(-1);
            case FRAMES, NODES -> output.dim(1);
            case VECTOR -> 1;
        };
        boolean sequence = layout == Layout.FRAMES || layout == Layout.NODES;
        if ((sequence && output.rank() != 3) || (layout == Layout.VECTOR && output.rank() != 2)
                || (layout == Layout.FEATURE_MAP && output.rank() < 3)) {
            throw new IllegalArgumentException("layer " + layer + " reported as " + layout + " has shape "
                    + Arrays.toString(output.shape()));
        }
        int width = (int) (output.numel() / b / pooled);
        Layer l = layers.computeIfAbsent(layer, k -> new Layer(layout, new ArrayList<>()));
        if (l.layout != layout) {
            throw new IllegalStateException("layer " + layer + " reported as both " + l.layout + " and " + layout);
        }
        for (int q = 0; q < b; q++) {
            double[] row = new double[width];
            long base = (long) q * width * pooled;
            for (int f = 0; f < width; f++) {
                double sum = 0;
                for (int p = 0; p < pooled; p++) {
                    // Feature maps: time is the fastest axis; frames and nodes: the feature is.
                    long at = sequence ? base + (long) p * width + f : base + (long) f * pooled + p;
                    sum += output.getFloat(at);
                }
                row[f] = sum / pooled;
            }
            l.rows.add(row);
        }
    }

    /** The reported layers, in the order of their first report. */
    public List<String> layers() {
        return List.copyOf(layers.keySet());
    }

    public Layout layout(String layer) {
        return require(layer).layout;
    }

    /** The pooled features of {@code layer}, one row per utterance (a read-only view). */
    public List<double[]> rows(String layer) {
        return Collections.unmodifiableList(require(layer).rows);
    }

    private Layer require(String layer) {
        Layer l = layers.get(layer);
        if (l == null) {
            throw new IllegalArgumentException("no layer " + layer + " was reported; reported: " + layers.keySet());
        }
        return l;
    }
}
