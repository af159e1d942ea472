package org.sdd4j.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusBuilderTest {
    /** A stand-in bona fide source: generated 22.05 kHz "recordings" with silence around them, plus one broken file. */
    static RealSpeechSource fakeSource(Path dir) throws Exception {
        SplittableRandom rng = new SplittableRandom(4);
        for (int i = 0; i < 6; i++) {
            float[] x = new float[22050 * 2];
            for (int t = 5000; t < 38000; t++) {
                x[t] = (float) (0.2 * Math.sin(2 * Math.PI * (150 + 20 * i) * t / 22050) * Math.abs(Math.sin(t / 2000.0))
                        + 0.01 * rng.nextGaussian());
            }
            org.sdd4j.audio.WavWriter.writePcm16(dir.resolve("spk" + (i % 3)).resolve("clip" + i + ".wav"), x, 22050);
        }
        Files.writeString(dir.resolve("spk0").resolve("broken.wav"), "not audio");
        return new RealSpeechSource("fake", "fake-package", "CC0-1.0", dir,
                r -> RealSpeechSource.files(r, "wav").stream()
                        .map(f -> new SourceClip(f, "en", f.getParent().getFileName().toString(), "")).toList());
    }

    static CorpusOptions options(Path out, Path src, long seed, List<TtsEngine> engines) throws Exception {
        return new CorpusOptions(out, Set.of(), 5, seed, Set.of(), 0.8, 12, ChannelDistribution.defaults(),
                SplitRule.DEFAULT_HELD_OUT, List.of(fakeSource(src)), engines);
    }

    static final class Recorder implements CorpusBuilder.Log {
        final List<String> lines = new ArrayList<>();

        @Override
        public void message(String line) {
            lines.add(line);
        }

        @Override
        public void progress(String stage, long done, long total) {
        }
    }

    @Test
    void buildsFromAFolderSourceReportsBadFilesAndIsDeterministic(@TempDir Path tmp) throws Exception {
        Recorder log = new Recorder();
        CorpusBuilder.Report a = new CorpusBuilder(options(tmp.resolve("a"), tmp.resolve("src"), 3, List.of()), log).build();
        assertEquals(5, a.items().size());
        assertTrue(a.items().stream().allMatch(i -> i.label() == Label.BONAFIDE && i.source().equals("fake")));
        for (CorpusItem it : a.items()) {
            var clip = org.sdd4j.audio.AudioReader.read(tmp.resolve("a").resolve(it.path()));
            assertEquals(16000, clip.sampleRate());
            assertTrue(it.channel().startsWith("cap=22050/pcm tilt="), it.channel());
        }
        assertTrue(Files.isRegularFile(tmp.resolve("a/README.md")));
        assertTrue(Files.isRegularFile(tmp.resolve("a/splits/test_unseen.tsv")));
        CorpusBuilder.Report b = new CorpusBuilder(options(tmp.resolve("b"), tmp.resolve("src2"), 3, List.of()), new Recorder()).build();
        assertEquals(a.items().stream().map(i -> i.toLine()).toList(), b.items().stream().map(i -> i.toLine()).toList());
        byte[] first = Files.readAllBytes(tmp.resolve("a").resolve(a.items().get(0).path()));
        assertTrue(java.util.Arrays.equals(first, Files.readAllBytes(tmp.resolve("b").resolve(b.items().get(0).path()))));
    }

    @Test
    void addsSpoofsInTheBonaFideLanguageWithEspeakNg(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(TtsEngine.ESPEAK_NG.missingReason() == null,
                "espeak-ng is not installed (apt-get install espeak-ng); the synthesis path is not tested here");
        Recorder log = new Recorder();
        CorpusBuilder.Report r = new CorpusBuilder(options(tmp.resolve("c"), tmp.resolve("src"), 1, List.of(TtsEngine.ESPEAK_NG)), log).build();
        List<CorpusItem> spoofs = r.items().stream().filter(i -> i.label() == Label.SPOOF).toList();
        assertEquals(5, spoofs.size(), String.join("\n", log.lines));
        assertTrue(spoofs.stream().allMatch(i -> i.language().equals("en") && i.generator().startsWith("espeak-ng:en")));
        assertTrue(spoofs.stream().allMatch(i -> i.channel().startsWith("cap=22050/pcm")), "spoofs take a bona fide capture");
        assertTrue(spoofs.stream().noneMatch(i -> i.split() == Split.TEST_UNSEEN), "espeak-ng is an in-domain generator");
    }
}
