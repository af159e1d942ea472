package org.sdd4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sdd4j.api.Detector;
import org.sdd4j.api.DetectorOptions;
import org.sdd4j.api.Score;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.model.SharedFixtures;

/**
 * The public API on the GPU: a {@link Detector} on the CUDA backend scores a batch the same with
 * {@code -Dsdd4j.cuda.graphs=true} (one captured graph per batch size, here 2 and then 1) as without.
 */
class CudaDetectorTest {
    @BeforeEach
    void requireGpu() {
        TestGpu.assume();
    }

    private static List<Score> score(boolean graphs, List<float[]> clips) throws Exception {
        String before = System.getProperty(Detector.GRAPHS_PROPERTY);
        System.setProperty(Detector.GRAPHS_PROPERTY, Boolean.toString(graphs));
        try (Detector detector = Detector.load(SharedFixtures.root().resolve("models/aasist/AASIST-L.pth"),
                DetectorOptions.defaults().withBatchSize(2), TestGpu.open(MatmulPrecision.FLOAT32))) {
            return detector.scoreBatch(clips, Detector.SAMPLE_RATE);
        } finally {
            if (before == null) {
                System.clearProperty(Detector.GRAPHS_PROPERTY);
            } else {
                System.setProperty(Detector.GRAPHS_PROPERTY, before);
            }
        }
    }

    @Test
    void graphReplayScoresAsTheEagerPassDoes() throws Exception {
        List<float[]> clips = new ArrayList<>();
        for (String name : new String[] {"espeak_1.wav", "real_Front_Center.wav", "flite_1.wav"}) {
            clips.add(AudioReader.read(SharedFixtures.audio(name)).samples());
        }
        List<Score> eager = score(false, clips), replayed = score(true, clips);
        for (int i = 0; i < clips.size(); i++) {
            System.out.printf("clip %d: eager %.6f, graph %.6f%n", i, eager.get(i).score(), replayed.get(i).score());
            assertEquals(eager.get(i).spoofLogit(), replayed.get(i).spoofLogit(), 1e-5, "spoof logit " + i);
            assertEquals(eager.get(i).bonafideLogit(), replayed.get(i).bonafideLogit(), 1e-5, "bona fide logit " + i);
        }
    }
}
