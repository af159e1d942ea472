package org.sdd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sdd4j eval} end to end on a small hand-made score/key pair. */
class EvalCommandTest {
    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    /** 4 bona fide (2.0, 1.5, 0.2, -0.5) and 4 spoof (-3, -1, 0.8, -2). */
    private static Path[] files(Path dir) throws IOException {
        Path scores = Files.writeString(dir.resolve("scores.tsv"), """
                filename\tcm-score
                E_1\t2.0
                E_2\t1.5
                E_3\t0.2
                E_4\t-0.5
                E_5\t-3
                E_6\t-1
                E_7\t0.8
                E_8\t-2
                """);
        Path keys = Files.writeString(dir.resolve("keys.tsv"), """
                filename\tcm-label
                E_8\tspoof
                E_1\tbonafide
                E_2\tbonafide
                E_3\tbonafide
                E_4\tbonafide
                E_5\tspoof
                E_6\tspoof
                E_7\tspoof
                """);
        return new Path[] {scores, keys};
    }

    @Test
    void jsonOutputAndPlots(@TempDir Path dir) throws IOException {
        Path[] f = files(dir);
        Path plots = dir.resolve("plots");
        Result r = run("eval", "--scores", f[0].toString(), "--keys", f[1].toString(), "--format", "json",
                "--threshold", "0", "--plot", plots.toString());
        assertEquals(Main.OK, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(4, j.get("bonafide").asInt());
        // Sorted: -3s -2s -1s -0.5b 0.2b 0.8s 1.5b 2.0b. Rejecting up to -0.5 misses 1 of 4 bona fide and
        // accepts 1 of 4 spoofs (0.8): miss = false alarm = 0.25.
        assertEquals(0.25, j.get("eer").asDouble(), 1e-12);
        // At threshold 0: TP 3 (2, 1.5, 0.2), FN 1, TN 3, FP 1 (0.8).
        assertEquals(0.75, j.at("/decisions/accuracy").asDouble(), 1e-12);
        assertEquals(0.75, j.at("/decisions/f1").asDouble(), 1e-12);
        for (String name : new String[] {"det.svg", "det.png", "hist.svg", "hist.png"}) {
            assertTrue(Files.size(plots.resolve(name)) > 0, name);
        }
    }

    @Test
    void textOutput(@TempDir Path dir) throws IOException {
        Path[] f = files(dir);
        Result r = run("eval", "--scores", f[0].toString(), "--keys", f[1].toString());
        assertEquals(Main.OK, r.code(), r.err());
        assertTrue(r.out().contains("Trials: 4 bona fide, 4 spoof"), r.out());
        assertTrue(r.out().contains("EER                25.0000 %"), r.out());
        assertTrue(r.out().contains("minDCF") && r.out().contains("Cllr") && r.out().contains("balanced accuracy"), r.out());
    }

    @Test
    void malformedScoreFileIsOneLineNamingFileAndLine(@TempDir Path dir) throws IOException {
        Path[] f = files(dir);
        Files.writeString(f[0], Files.readString(f[0]).replace("E_6\t-1", "E_6\tminus-one"));
        Result r = run("eval", "--scores", f[0].toString(), "--keys", f[1].toString());
        assertEquals(Main.FAILED, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("scores.tsv line 7") && r.err().contains("'minus-one' is not a number"), r.err());
        assertFalse(r.err().contains("at org."), r.err());
    }
}
