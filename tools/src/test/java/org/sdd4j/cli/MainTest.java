package org.sdd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line end to end (in process, through picocli) with the official AASIST-L, the small model.
 * Forward passes are few: each costs seconds on these machines.
 */
class MainTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one run printed and returned. */
    private record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    private static Path shared() {
        Path p = Path.of(System.getProperty("sdd4j.shared", "../shared")).toAbsolutePath().normalize();
        assumeTrue(Files.isDirectory(p.resolve("fixtures")), "shared fixtures not found at " + p
                + " (set -Dsdd4j.shared=PATH); skipping");
        return p;
    }

    private static String aasistL() {
        return shared().resolve("models/aasist/AASIST-L.pth").toString();
    }

    private static double expectedBonafideLogit(String clip) throws IOException {
        return JSON.readTree(shared().resolve("fixtures/reference/expected_aasist_logits.json").toFile())
                .get("aasist/AASIST-L.pth").get(clip).get(1).asDouble();
    }

    /** The README's main job: the shipped demo detector on the shipped examples, with no model named. */
    @Test
    void defaultModelScoresTheShippedExamples() {
        Path repo = Path.of("..").toAbsolutePath().normalize();
        String before = System.getProperty("sdd4j.home");
        System.setProperty("sdd4j.home", repo.toString());
        try {
            Result r = run("score", "--threads", "2", repo.resolve("examples").toString());
            assertEquals(Main.OK, r.code(), r.err());
            List<String> lines = r.out().lines().toList();
            assertEquals("filename\tcm-score", lines.get(0));
            assertEquals(7, lines.size(), "header and six clips: " + r.out());
            for (String line : lines.subList(1, lines.size())) {
                assertTrue(Double.isFinite(Double.parseDouble(line.split("\t")[1])), line);
            }
        } finally {
            if (before == null) {
                System.clearProperty("sdd4j.home");
            } else {
                System.setProperty("sdd4j.home", before);
            }
        }
    }

    @Test
    void directoryWithBadFilesScoresTheRestAndExitsTwo(@TempDir Path dir) throws IOException {
        Path clips = Files.createDirectories(dir.resolve("clips"));
        for (String clip : List.of("espeak_1.wav", "real_Front_Left.wav")) {
            Files.copy(shared().resolve("fixtures/audio").resolve(clip), clips.resolve(clip));
        }
        Files.createFile(clips.resolve("empty.wav"));
        Files.writeString(clips.resolve("notes.wav"), "these are not audio samples\n");
        Files.writeString(clips.resolve("readme.md"), "not an audio extension: ignored\n");

        Result r = run("score", "--model", aasistL(), "--threads", "2", clips.toString());
        assertEquals(Main.PARTIAL, r.code(), r.err());
        List<String> lines = r.lines();
        assertEquals("filename\tcm-score", lines.getFirst());
        assertEquals(3, lines.size(), r.out());
        for (String line : lines.subList(1, 3)) {
            String[] f = line.split("\t");
            assertEquals(2, f.length, line);
            String clip = Path.of(f[0]).getFileName().toString();
            assertEquals(expectedBonafideLogit(clip), Double.parseDouble(f[1]), 2e-4, line);
        }
        assertTrue(r.err().contains("empty.wav") && r.err().contains("file is empty"), r.err());
        assertTrue(r.err().contains("notes.wav") && r.err().contains("not a recognised audio file"), r.err());
        assertFalse(r.err().contains("readme.md"), r.err());
        assertFalse(r.err().contains("at org."), "no stack trace: " + r.err());
    }

    @Test
    void protocolListAsJsonLinesWithLogitsAndDecisions(@TempDir Path dir) throws IOException {
        Path flac = Files.createDirectories(dir.resolve("flac"));
        Files.copy(shared().resolve("fixtures/audio/espeak_1.wav"), flac.resolve("LA_E_0000001.wav"));
        Path protocol = Files.writeString(dir.resolve("protocol.txt"), """
                # ASVspoof 2019 LA style
                LA_0001 LA_E_0000001 - A07 spoof
                LA_0002 LA_E_0000002 - - bonafide
                """);
        Result r = run("score", "--model", aasistL(), "--format", "jsonl", "--emit", "logits", "--threshold", "0",
                protocol.toString());
        assertEquals(Main.PARTIAL, r.code(), r.err());
        List<String> lines = r.lines();
        assertEquals(2, lines.size(), r.out());
        JsonNode scored = JSON.readTree(lines.get(0));
        assertEquals("LA_E_0000001", scored.get("filename").asText());
        assertEquals(expectedBonafideLogit("espeak_1.wav"), scored.get("cm-score").asDouble(), 2e-4);
        assertEquals(scored.get("cm-score").asDouble(), scored.get("logit1").asDouble(), 0.0);
        assertTrue(scored.get("logit0").asDouble() > 0, "espeak_1 is spoof for AASIST-L: " + scored);
        assertEquals("spoof", scored.get("decision").asText());
        JsonNode missing = JSON.readTree(lines.get(1));
        assertEquals("LA_E_0000002", missing.get("filename").asText());
        assertTrue(missing.get("error").asText().contains("line 3"), missing.toString());
        assertTrue(r.err().contains("LA_E_0000002"), r.err());
    }

    @Test
    void emitLogitsAddsColumnsToTheScoreFile(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("scores.tsv");
        String clip = shared().resolve("fixtures/audio/real_Front_Left.wav").toString();
        Result r = run("score", "--model", aasistL(), "--emit", "logits", "--threshold", "0", "-o", out.toString(), clip);
        assertEquals(Main.OK, r.code(), r.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals("filename\tcm-score\tlogit0\tlogit1\tdecision", lines.get(0));
        String[] f = lines.get(1).split("\t");
        assertEquals(clip, f[0]);
        assertEquals(f[1], f[3], "the score is the bona fide logit");
        assertEquals(expectedBonafideLogit("real_Front_Left.wav"), Double.parseDouble(f[3]), 2e-4);
        assertEquals("bonafide", f[4]);
        assertEquals(2, lines.size());
    }

    @Test
    void missingModelFileIsOneLineAndExitOne(@TempDir Path dir) throws IOException {
        Path wav = Files.createFile(dir.resolve("a.wav"));
        Result r = run("score", "--model", dir.resolve("missing.pth").toString(), wav.toString());
        assertEquals(Main.FAILED, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("model file not found") && r.err().contains("missing.pth"), r.err());
    }

    @Test
    void unknownModelNameListsTheKnownOnes(@TempDir Path dir) throws IOException {
        Path wav = Files.createFile(dir.resolve("a.wav"));
        Result r = run("score", "--model", "no-such-model", wav.toString());
        assertEquals(Main.FAILED, r.code());
        assertTrue(r.err().contains("no-such-model") && r.err().contains("aasist-l"), r.err());
    }

    @Test
    void notACheckpointIsReportedWithoutStackTrace(@TempDir Path dir) throws IOException {
        Path wav = Files.createFile(dir.resolve("a.wav"));
        Path fake = Files.writeString(dir.resolve("fake.pth"), "not a checkpoint");
        Result r = run("score", "--model", fake.toString(), wav.toString());
        assertEquals(Main.FAILED, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("fake.pth"), r.err());
        Result debug = run("score", "--debug", "--model", fake.toString(), wav.toString());
        assertTrue(debug.err().contains("at org.sdd4j."), "--debug prints the stack trace: " + debug.err());
    }

    @Test
    void missingInputIsAUsageError() {
        Result r = run("score", "--model", aasistL(), "/no/such/input.wav");
        assertEquals(Main.FAILED, r.code());
        assertTrue(r.err().contains("input not found: /no/such/input.wav"), r.err());
    }

    @Test
    void infoPrintsTheJdk() {
        Result r = run("info");
        assertEquals(Main.OK, r.code(), r.err());
        assertTrue(r.out().contains("JDK:") && r.out().contains(Runtime.version().toString()), r.out());
        assertTrue(r.out().contains("Vector API: preferred species"), r.out());
        assertTrue(r.out().contains("oneDNN:"), r.out());
    }

    @Test
    void infoSaysWhyTheGpuIsNotUsedOnAMachineWithoutTheNvidiaDriver() {
        org.junit.jupiter.api.Assumptions.assumeFalse(java.nio.file.Files.isDirectory(
                java.nio.file.Path.of("/proc/driver/nvidia")), "this machine has an NVIDIA kernel driver");
        Result r = run("info");
        assertEquals(Main.OK, r.code(), r.err());
        assertTrue(r.out().contains("GPU (CUDA): not usable: no NVIDIA kernel driver is loaded"), r.out());
        assertTrue(r.out().contains("the CUDA driver library (libcuda.so.1) not found"), r.out());
        assertTrue(r.out().contains("sdd4j runs on the CPU backend above"), r.out());
    }

    @Test
    void modelsListShowsTheCatalogue() {
        Result r = run("models", "list");
        assertEquals(Main.OK, r.code(), r.err());
        assertTrue(r.lines().getFirst().startsWith("NAME"), r.out());
        assertTrue(r.lines().stream().anyMatch(l -> l.matches("aasist-l\\s+aasist\\s+yes\\s+(yes|no)")), r.out());
    }
}
