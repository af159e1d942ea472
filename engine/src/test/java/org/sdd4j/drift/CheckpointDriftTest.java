package org.sdd4j.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdd4j.api.ModelLoader;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.audio.Resampler;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Backends;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.SafetensorsWriter;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.SharedFixtures;
import org.sdd4j.tensor.Tensor;

/** Drift of the official AASIST-L against itself and against a copy with one tensor perturbed. */
class CheckpointDriftTest {
    private static final String PERTURBED = "encoder.4.0.conv2.weight";
    private static final Backend BACKEND = Backends.cpu(2);
    private static List<float[]> clips;

    @BeforeAll
    static void clips() throws IOException {
        clips = new ArrayList<>();
        for (String name : List.of("espeak_1.wav", "flite_2.wav", "real_Front_Center.wav")) {
            clips.add(Resampler.resample(AudioReader.read(SharedFixtures.audio(name)), 16_000).samples());
        }
    }

    @AfterAll
    static void close() {
        BACKEND.close();
    }

    private static Path aasistL() {
        return SharedFixtures.root().resolve("models/aasist/AASIST-L.pth");
    }

    @Test
    void againstItselfNothingMoves() throws IOException {
        DriftReport r = DriftReport.measure(aasistL(), aasistL(), clips, BACKEND, 3, null);
        assertEquals("aasist", r.family());
        assertEquals(3, r.utterances());
        assertTrue(r.weights().tensors().stream().allMatch(t -> t.changeNorm() == 0), "weights");
        assertEquals(0, r.weights().total().relative());
        assertEquals(15, r.layers().size());
        for (RepresentationDrift.Layer l : r.layers()) {
            assertEquals(1.0, l.meanCosine(), 1e-9, l.layer());
            assertEquals(1.0, l.cka(), 1e-9, l.layer());
        }
    }

    @Test
    void aPerturbedTensorChangesOnlyItsModuleAndTheLayersAfterIt(@TempDir Path dir) throws IOException {
        Path copy = dir.resolve("perturbed.safetensors");
        double expectedRelative;
        try (StateDict sd = Checkpoints.open(aasistL()); Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>(ModelLoader.normalise(sd).tensors());
            Tensor w = tensors.get(PERTURBED);
            Tensor noisy = Tensor.zeros(arena, w.shape());
            Random rng = new Random(7);
            double ww = 0, dd = 0;
            for (long i = 0; i < w.numel(); i++) {
                float d = (float) (0.05 * rng.nextGaussian());
                float v = w.getFloat(i) + d;
                noisy.setFloat(i, v);
                ww += (double) w.getFloat(i) * w.getFloat(i);
                dd += Math.pow((double) v - w.getFloat(i), 2);
            }
            expectedRelative = Math.sqrt(dd / ww);
            tensors.put(PERTURBED, noisy);
            SafetensorsWriter.write(copy, tensors);
        }
        assertTrue(Files.size(copy) > 100_000);
        DriftReport r = DriftReport.measure(aasistL(), copy, clips, BACKEND, 4, null);

        for (WeightDrift.TensorChange t : r.weights().tensors()) {
            if (t.name().equals(PERTURBED)) {
                assertEquals(expectedRelative, t.relative(), 1e-9);
            } else {
                assertEquals(0, t.changeNorm(), t.name());
            }
        }
        for (WeightDrift.ModuleChange m : r.weights().modules()) {
            assertEquals(m.module().equals("encoder.4"), m.relative() > 0, m.module());
        }
        boolean reached = false;
        for (RepresentationDrift.Layer l : r.layers()) {
            reached |= l.layer().equals("encoder.4");
            if (!reached) {
                assertEquals(1.0, l.meanCosine(), 1e-9, l.layer() + " comes before the perturbed block");
                assertEquals(1.0, l.cka(), 1e-9, l.layer());
            } else if (!l.layer().equals("out_layer")) {
                assertTrue(l.meanCosine() < 1 - 1e-6, l.layer() + " cosine " + l.meanCosine());
            }
        }
        assertTrue(reached);
        assertTrue(r.toText().contains("encoder.4"));
    }
}
