package org.sdd4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.audio.Resampler;
import org.sdd4j.checkpoint.CheckpointException;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.SafetensorsWriter;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.SharedFixtures;
import org.sdd4j.model.aasist.Aasist;
import org.sdd4j.model.aasist.AasistConfig;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.zoo.ModelFamily;

/**
 * The Detector on the official AASIST-L: parity with PyTorch, batching, determinism, resampled input and
 * the loader's handling of odd checkpoints. AASIST-L is the small model; forward passes are kept few.
 */
class DetectorTest {
    private static final double PARITY = 2e-4;
    private static final List<String> CLIPS = List.of("espeak_1.wav", "real_Front_Left.wav");

    private static Path weights;
    private static Detector detector;

    @BeforeAll
    static void load() throws IOException {
        weights = SharedFixtures.root().resolve("models/aasist/AASIST-L.pth");
        detector = Detector.load(weights, DetectorOptions.defaults().withThreads(2).withBatchSize(4));
    }

    @AfterAll
    static void close() {
        if (detector != null) {
            detector.close();
        }
    }

    @Test
    void recognisesAasistLFromItsShapes() {
        assertEquals(ModelFamily.AASIST, detector.family());
        assertEquals(AasistConfig.AASIST_L, ((Aasist) detector.model()).config());
        assertEquals(85_306, detector.model().parameterCount());
        assertTrue(detector.describe().contains("AASIST-L.pth"), detector.describe());
    }

    @Test
    void batchedScoresMatchPyTorchAndSingleScores() throws IOException {
        JsonNode expected = SharedFixtures.json("fixtures/reference/expected_aasist_logits.json").get("aasist/AASIST-L.pth");
        List<float[]> audio = CLIPS.stream().map(DetectorTest::samples).toList();
        List<Score> batched = detector.scoreBatch(audio, 16_000);
        for (int i = 0; i < CLIPS.size(); i++) {
            JsonNode e = expected.get(CLIPS.get(i));
            Score s = batched.get(i);
            assertEquals(e.get(0).asDouble(), s.spoofLogit(), PARITY, CLIPS.get(i) + " spoof logit");
            assertEquals(e.get(1).asDouble(), s.bonafideLogit(), PARITY, CLIPS.get(i) + " bona fide logit");
            assertEquals(s.bonafideLogit(), s.score(), 0.0, "AASIST's score is the bona fide logit");

            Score single = detector.score(audio.get(i), 16_000);
            // Matrix products block differently for different row counts, so the last float bits may differ:
            // a few ulps of the logit (1e-6 relative), far inside the 2e-4 parity bar.
            double tol = 1e-6 * Math.max(1, Math.abs(single.bonafideLogit()));
            assertEquals(s.spoofLogit(), single.spoofLogit(), tol, "batched vs single, " + CLIPS.get(i));
            assertEquals(s.bonafideLogit(), single.bonafideLogit(), tol, "batched vs single, " + CLIPS.get(i));
            if (i == 0) {
                assertEquals(single, detector.score(audio.get(i), 16_000), "a second run gives the same bits");
            }
        }
    }

    @Test
    void otherSampleRatesAreResampled(@TempDir Path dir) throws IOException {
        float[] original = samples(CLIPS.getFirst());
        // 8 kHz as an array: the detector must bring it to 16 kHz exactly as Resampler does.
        float[] narrow = Resampler.of(16_000, 8_000).process(original);
        Score viaDetector = detector.score(narrow, 8_000);
        Score viaResampler = detector.score(Resampler.of(8_000, 16_000).process(narrow), 16_000);
        assertEquals(viaResampler, viaDetector);

        // 44.1 kHz as a float WAV file, through score(Path).
        float[] wide = Resampler.of(16_000, 44_100).process(original);
        Path wav = dir.resolve("wide.wav");
        writeFloatWav(wav, wide, 44_100);
        Score fromFile = detector.score(wav);
        Score reference = detector.score(Resampler.of(44_100, 16_000).process(wide), 16_000);
        assertEquals(reference, fromFile);
        // Up and back down keeps the speech band, so the verdict barely moves.
        Score plain = detector.score(original, 16_000);
        assertEquals(plain.bonafideLogit(), fromFile.bonafideLogit(), 0.05);
    }

    @Test
    void misShapedTensorIsNamedWithItsFile(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.safetensors");
        try (StateDict sd = Checkpoints.open(weights); Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>(sd.tensors());
            tensors.put("out_layer.bias", Tensor.zeros(arena, 3));
            SafetensorsWriter.write(bad, tensors);
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> Detector.load(bad));
        assertTrue(e.getMessage().contains("out_layer.bias") && e.getMessage().contains(bad.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("[3]"), e.getMessage());
    }

    @Test
    void wrongConfigFileFailsOnTheFirstMisfit() {
        Path conf = SharedFixtures.root().resolve("models/aasist/AASIST.conf");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Detector.load(weights, DetectorOptions.defaults().withConfig(conf)));
        assertTrue(e.getMessage().contains(weights.toString()) && e.getMessage().contains("encoder.2.0"), e.getMessage());
    }

    @Test
    void unreadableConfigFileIsNamed(@TempDir Path dir) throws IOException {
        Path conf = Files.writeString(dir.resolve("broken.conf"), "{\"model_config\": {\"filts\": [70]}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Detector.load(weights, DetectorOptions.defaults().withConfig(conf)));
        assertTrue(e.getMessage().contains(conf.toString()) && e.getMessage().contains("filts"), e.getMessage());
    }

    @Test
    void dataParallelPrefixAndHalfPrecisionAreNormalised(@TempDir Path dir) throws IOException {
        Path half = dir.resolve("half.safetensors");
        try (StateDict sd = Checkpoints.open(weights); Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            sd.tensors().forEach((k, t) -> tensors.put("module." + k, t.dtype() == DType.F32 ? toF16(arena, t) : t));
            SafetensorsWriter.write(half, tensors);
        }
        try (StateDict sd = Checkpoints.open(half)) {
            StateDict normal = ModelLoader.normalise(sd);
            assertTrue(normal.contains("pos_S"));
            assertEquals(DType.F32, normal.require("pos_S").dtype());
            assertEquals(ModelFamily.AASIST, ModelLoader.detect(normal));
            Aasist model = (Aasist) ModelLoader.build(ModelFamily.AASIST, normal, java.util.Optional.empty());
            assertEquals(AasistConfig.AASIST_L, model.config());
            assertEquals(85_306, model.parameterCount());
        }
    }

    @Test
    void unknownCheckpointSaysWhatWasExpected(@TempDir Path dir) throws IOException {
        Path other = dir.resolve("other.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsWriter.write(other, Map.of("fc.weight", Tensor.zeros(arena, 2, 2)));
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> Detector.load(other));
        assertTrue(e.getMessage().contains("fc.weight") && e.getMessage().contains(other.toString()), e.getMessage());
    }

    @Test
    void emptyUtteranceIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> detector.scoreBatch(List.of(new float[10], new float[0]), 16_000));
        assertTrue(e.getMessage().contains("utterance 1"), e.getMessage());
    }

    private static float[] samples(String clip) {
        try {
            return AudioReader.read(SharedFixtures.audio(clip)).samples();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Tensor toF16(Arena arena, Tensor t) {
        Tensor h = Tensor.zeros(arena, DType.F16, t.shape());
        for (long i = 0; i < t.numel(); i++) {
            h.data().setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(t.getFloat(i)));
        }
        return h;
    }

    /** A mono IEEE-float WAV. */
    private static void writeFloatWav(Path file, float[] x, int rate) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(44 + 4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + 4 * x.length).put("WAVE".getBytes());
        b.put("fmt ".getBytes()).putInt(16).putShort((short) 3).putShort((short) 1).putInt(rate).putInt(rate * 4)
                .putShort((short) 4).putShort((short) 32);
        b.put("data".getBytes()).putInt(4 * x.length);
        for (float v : x) {
            b.putFloat(v);
        }
        Files.write(file, b.array());
    }
}
