package org.sdd4j.api;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.sdd4j.audio.AudioClip;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.audio.Resampler;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Ops;
import org.sdd4j.backend.Backends;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.InputSpec;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.model.aasist.Aasist;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.zoo.ModelFamily;

/**
 * A speech deepfake detector loaded from a checkpoint: audio in, {@link Score}s out.
 *
 * <pre>{@code
 * try (Detector d = Detector.load(Path.of("AASIST-L.pth"))) {
 *     Score s = d.score(Path.of("clip.wav"));
 * }
 * }</pre>
 *
 * <p>The detector owns the checkpoint's memory mapping and a compute backend; close it to release both.
 * Scoring calls may come from any thread; they run one at a time, since each already uses every
 * compute thread the detector was given.
 */
public final class Detector implements AutoCloseable {
    /** The sample rate every supported model consumes; other rates are resampled to it. */
    public static final int SAMPLE_RATE = 16_000;

    private final StateDict checkpoint;
    private final SpoofModel model;
    private final ModelFamily family;
    private final Backend backend;
    private final int batchSize;
    /** Whether forward passes replay CUDA graphs ({@value #GRAPHS_PROPERTY}, fixed-length models on the GPU). */
    private final boolean useGraphs;
    private final Map<Integer, Resampler> resamplers = new ConcurrentHashMap<>();
    /** Captured forward passes by batch size ({@value #GRAPHS_PROPERTY}, fixed-length models on the GPU). */
    private final Map<Integer, FixedShapeScorer> graphs = new LinkedHashMap<>();
    private boolean closed;

    /**
     * {@code -Dsdd4j.cuda.graphs=true}: on the CUDA backend, fixed-length models replay a CUDA graph captured once
     * per batch size ({@link FixedShapeScorer}) instead of launching each kernel from the host. Read when a detector
     * is loaded.
     */
    public static final String GRAPHS_PROPERTY = "sdd4j.cuda.graphs";

    private Detector(StateDict checkpoint, SpoofModel model, ModelFamily family, Backend backend, int batchSize) {
        this.checkpoint = checkpoint;
        this.model = model;
        this.family = family;
        this.backend = backend;
        this.batchSize = batchSize;
        this.useGraphs = Boolean.getBoolean(GRAPHS_PROPERTY) && backend instanceof org.sdd4j.backend.cuda.CudaBackend
                && model.input().fixedLength() > 0;
    }

    /** Loads {@code checkpoint} with {@link DetectorOptions#defaults()}. */
    public static Detector load(Path checkpoint) throws IOException {
        return load(checkpoint, DetectorOptions.defaults());
    }

    /**
     * Opens {@code checkpoint} (torch.save or safetensors), tells its family from its keys and builds the
     * model (see {@link ModelLoader}).
     *
     * @throws org.sdd4j.checkpoint.CheckpointException when the file is not a usable checkpoint; the
     *                                                  message names the file (and the key at fault)
     * @throws IllegalArgumentException                 when the config file is unreadable or does not fit
     * @throws IOException                              when the file cannot be read
     */
    public static Detector load(Path checkpoint, DetectorOptions options) throws IOException {
        return load(checkpoint, options, null);
    }

    /**
     * As {@link #load(Path, DetectorOptions)}, on {@code on} instead of the backend {@link #createBackend} would
     * choose (null chooses as that does). The detector owns it from the call on: it closes it, also when loading
     * fails.
     */
    public static Detector load(Path checkpoint, DetectorOptions options, Backend on) throws IOException {
        Objects.requireNonNull(options, "options");
        StateDict sd = Checkpoints.open(checkpoint);
        Backend backend = on;
        try {
            StateDict weights = ModelLoader.normalise(sd);
            ModelFamily family = ModelLoader.detect(weights);
            SpoofModel model = ModelLoader.build(family, weights, options.config());
            if (backend == null) {
                backend = createBackend(options.threads());
            }
            return new Detector(sd, model, family, backend, options.batchSize());
        } catch (RuntimeException | Error e) {
            if (backend != null) {
                backend.close();
            }
            sd.close();
            throw e;
        }
    }

    /**
     * The backend detectors run on: the one place it is chosen, so that {@code sdd4j info} reports the
     * same choice that scoring makes.
     */
    public static Backend createBackend(int threads) {
        return Backends.cpu(threads);
    }

    /** The model, for callers that drive it directly (e.g. to fine-tune it). */
    public SpoofModel model() {
        return model;
    }

    public ModelFamily family() {
        return family;
    }

    /** The backend the model runs on. */
    public Backend backend() {
        return backend;
    }

    /** One line: family, architecture, size, file and backend. */
    public String describe() {
        String arch = model instanceof Aasist a ? " " + a.config() : "";
        return String.format("%s%s, %,d parameters, from %s, on %s with %d thread%s", family, arch,
                model.parameterCount(), checkpoint.source(), backend.name(), backend.threads(),
                backend.threads() == 1 ? "" : "s");
    }

    /** Scores one audio file (WAV or FLAC, any sample rate, mixed to mono). */
    public Score score(Path audioFile) throws IOException {
        AudioClip clip = AudioReader.read(audioFile);
        return score(clip.samples(), clip.sampleRate());
    }

    /** Scores one utterance of mono samples in [-1, 1] at {@code sampleRate} Hz. */
    public Score score(float[] samples, int sampleRate) {
        return scoreBatch(List.of(samples), sampleRate).getFirst();
    }

    /**
     * Scores utterances of mono samples at {@code sampleRate} Hz, in order. Fixed-length models run them
     * in forward passes of up to the batch size; whole-utterance models batch only utterances of equal
     * length (padding would change their result), so unequal lengths run one at a time.
     *
     * @throws IllegalArgumentException when an utterance is empty, naming its index
     */
    public synchronized List<Score> scoreBatch(List<float[]> utterances, int sampleRate) {
        if (closed) {
            throw new IllegalStateException("detector is closed");
        }
        InputSpec spec = model.input();
        List<float[]> inputs = new ArrayList<>(utterances.size());
        for (int i = 0; i < utterances.size(); i++) {
            float[] x = utterances.get(i);
            if (x.length == 0) {
                throw new IllegalArgumentException("utterance " + i + " has no samples");
            }
            inputs.add(spec.prepare(toModelRate(x, sampleRate)));
        }
        // Utterances that can share a forward pass: all of them for fixed-length models, else equal lengths.
        Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            int key = spec.fixedLength() > 0 ? 0 : inputs.get(i).length;
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
        }
        Score[] scores = new Score[inputs.size()];
        for (List<Integer> group : groups.values()) {
            for (int from = 0; from < group.size(); from += batchSize) {
                List<Integer> chunk = group.subList(from, Math.min(group.size(), from + batchSize));
                forward(inputs, chunk, scores);
            }
        }
        return List.of(scores);
    }

    private float[] toModelRate(float[] x, int sampleRate) {
        if (sampleRate == SAMPLE_RATE) {
            return x;
        }
        if (sampleRate <= 0) {
            throw new IllegalArgumentException("sample rate must be positive, was " + sampleRate);
        }
        return resamplers.computeIfAbsent(sampleRate, r -> Resampler.of(r, SAMPLE_RATE)).process(x);
    }

    /** One forward pass over the inputs at {@code indices} (all of one length), filling their scores. */
    private void forward(List<float[]> inputs, List<Integer> indices, Score[] scores) {
        int b = indices.size();
        int t = inputs.get(indices.getFirst()).length;
        try (Ops ops = new Ops(backend)) {
            Tensor wav = Tensor.zeros(ops.arena(), DType.F32, b, t); // host staging; one upload per pass
            for (int q = 0; q < b; q++) {
                MemorySegment.copy(inputs.get(indices.get(q)), 0, wav.data(),
                        ValueLayout.JAVA_FLOAT_UNALIGNED, (long) q * t * Float.BYTES, t);
            }
            float[] logits;
            if (useGraphs) {
                logits = graphs.computeIfAbsent(b, n -> new FixedShapeScorer(model, backend, n, t)).logits(wav);
            } else {
                logits = ops.download(model.logits(ops, ops.upload(wav))).toFloatArray();
            }
            for (int q = 0; q < b; q++) {
                float spoof = logits[2 * q];
                float bonafide = logits[2 * q + 1];
                scores[indices.get(q)] = new Score(model.scoreRule().score(spoof, bonafide), spoof, bonafide);
            }
        }
    }

    /** Releases the backend's threads and the checkpoint's mapping; later calls fail. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            graphs.values().forEach(FixedShapeScorer::close);
            backend.close();
            checkpoint.close();
        }
    }
}
