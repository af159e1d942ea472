package org.sdd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdd4j.api.ModelLoader;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.SafetensorsWriter;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.Tensor;

/** {@code sdd4j drift} end to end: the official AASIST-L against a copy with two tensors perturbed. */
class DriftCommandTest {
    private static final Set<String> PERTURBED = Set.of("encoder.4.0.conv2.weight", "GAT_layer_S.att_proj.weight");

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    private static Path shared() {
        Path p = Path.of(System.getProperty("sdd4j.shared", "../shared")).toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(p.resolve("models/aasist/AASIST-L.pth")) && Files.isDirectory(p.resolve("fixtures/audio")),
                "shared models and fixtures not found at " + p + " (set -Dsdd4j.shared=PATH); skipping");
        return p;
    }

    /** AASIST-L with Gaussian noise (std 0.05) added to the {@link #PERTURBED} tensors, as safetensors. */
    private static Path perturbedCopy(Path reference, Path dir) throws IOException {
        Path copy = dir.resolve("AASIST-L-perturbed.safetensors");
        try (StateDict sd = Checkpoints.open(reference); Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>(ModelLoader.normalise(sd).tensors());
            Random rng = new Random(11);
            for (String name : PERTURBED) {
                Tensor w = tensors.get(name);
                Tensor noisy = Tensor.zeros(arena, w.shape());
                for (long i = 0; i < w.numel(); i++) {
                    noisy.setFloat(i, w.getFloat(i) + (float) (0.05 * rng.nextGaussian()));
                }
                tensors.put(name, noisy);
            }
            SafetensorsWriter.write(copy, tensors);
        }
        return copy;
    }

    @Test
    void reportsChangeWhereTheCopyWasPerturbedWithPlots(@TempDir Path dir) throws IOException {
        Path shared = shared();
        Path reference = shared.resolve("models/aasist/AASIST-L.pth");
        Path copy = perturbedCopy(reference, dir);
        Path audio = shared.resolve("fixtures/audio");
        Path probe = Files.writeString(dir.resolve("probe.tsv"), audio.resolve("espeak_1.wav") + "\tspoof\n"
                + audio.resolve("real_Front_Left.wav") + "\tbonafide\n" + audio.resolve("flite_3.wav") + "\tspoof\n"
                + audio.resolve("real_Rear_Right.wav") + "\tbonafide\n");
        Path plots = dir.resolve("plots");

        Result r = run("drift", "--from", reference.toString(), "--to", copy.toString(), "--data", probe.toString(),
                "--max", "3", "--out", plots.toString(), "--format", "json", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals("aasist", json.get("family").asText());
        assertEquals(3, json.get("utterances").asInt());
        for (JsonNode m : json.get("modules")) {
            String module = m.get("module").asText();
            boolean perturbed = module.equals("encoder.4") || module.equals("GAT_layer_S");
            assertEquals(perturbed, m.get("relative_change").asDouble() > 0, module);
        }
        int changed = 0;
        for (JsonNode t : json.get("tensors")) {
            if (t.get("relative_change").asDouble() > 0) {
                changed++;
                assertTrue(PERTURBED.contains(t.get("tensor").asText()), t.get("tensor").asText());
            }
        }
        assertEquals(2, changed);
        boolean reached = false;
        for (JsonNode l : json.get("layers")) {
            String layer = l.get("layer").asText();
            reached |= layer.equals("encoder.4");
            double cosine = l.get("mean_cosine").asDouble(), cka = l.get("linear_cka").asDouble();
            if (!reached) {
                assertEquals(1.0, cosine, 1e-9, layer);
                assertEquals(1.0, cka, 1e-9, layer);
            } else if (layer.startsWith("encoder.") || layer.startsWith("GAT_layer")) {
                assertTrue(cosine < 1 - 1e-6, layer + " cosine " + cosine);
            }
        }
        assertTrue(reached, "encoder.4 reported");
        for (String f : List.of("weight_change", "representation")) {
            assertTrue(Files.readString(plots.resolve(f + ".svg")).contains("<svg"), f);
            assertNotNull(ImageIO.read(plots.resolve(f + ".png").toFile()), f);
        }
    }

    @Test
    void textReportOnAFolderWithMax(@TempDir Path dir) {
        Path shared = shared();
        Path reference = shared.resolve("models/aasist/AASIST-L.pth");
        Result r = run("drift", "--from", reference.toString(), "--to", reference.toString(), "--data",
                shared.resolve("fixtures/audio").toString(), "--max", "2", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Representation drift per layer on 2 utterances"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("encoder.4 ") && l.contains("1.000000")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("(all parameters)") && l.endsWith("0.0000e+00")), r.out());
    }

    @Test
    void checkpointsOfDifferentArchitecturesAreRefused() {
        Path shared = shared();
        Result r = run("drift", "--from", shared.resolve("models/aasist/AASIST-L.pth").toString(), "--to",
                shared.resolve("models/aasist/AASIST.pth").toString(), "--data",
                shared.resolve("fixtures/audio/espeak_1.wav").toString(), "--threads", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not checkpoints of one architecture"), r.err());
    }

    @Test
    void missingProbeDataIsAUsageError(@TempDir Path dir) {
        Result r = run("drift", "--from", "a.pth", "--to", "b.pth", "--data", dir.resolve("none").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("checkpoint not found: a.pth"), r.err());
    }
}
