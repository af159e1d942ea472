package org.sdd4j.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportAndPlotsTest {
    @Test
    void jsonReportCarriesTheOfficialNumbers() throws IOException {
        Path dir = OfficialParityTest.folder("gaussian");
        JsonNode x = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        ScoreFiles.SasvTrials t = ScoreFiles.readSasv(dir.resolve("sasv_scores.tsv"), dir.resolve("sasv_keys.tsv"));
        EvalReport r = EvalReport.of(null, null, t, null);
        JsonNode j = new ObjectMapper().readTree(r.toJson());
        assertEquals(x.get("min_dcf").asDouble(), j.get("min_dcf").asDouble(), 1e-12);
        assertEquals(x.get("eer").asDouble(), j.get("eer").asDouble(), 1e-12);
        assertEquals(x.get("a_dcf").asDouble(), j.get("a_dcf").asDouble(), 1e-12);
        assertEquals(x.get("min_tdcf_2021").asDouble(), j.get("min_tdcf_2021").asDouble(), 1e-12);
        assertEquals(x.at("/classification_at_eer_threshold/f1").asDouble(), j.at("/decisions/f1").asDouble(), 1e-12);
        String text = r.toText();
        assertTrue(text.contains("minDCF") && text.contains("a-DCF") && text.contains("t-EER"), text);
    }

    @Test
    void plotsAreWrittenAsSvgAndPng(@TempDir Path out) throws IOException {
        Path dir = OfficialParityTest.folder("gaussian");
        ScoreSet cm = ScoreFiles.readCm(dir.resolve("cm_scores.tsv"), dir.resolve("cm_keys.tsv"));
        assertEquals(4, Plots.write(out, cm).size());
        String svg = Files.readString(out.resolve("det.svg"));
        assertTrue(svg.startsWith("<svg") && svg.contains("<polyline") && svg.strip().endsWith("</svg>"));
        BufferedImage png = ImageIO.read(out.resolve("hist.png").toFile());
        assertEquals(640, png.getWidth());
        assertTrue(Files.size(out.resolve("det.png")) > 1000);
    }

    @Test
    void detComparisonDrawsOneCurveAndLegendEntryPerSystem(@TempDir Path out) throws IOException {
        Path dir = OfficialParityTest.folder("gaussian");
        ScoreSet cm = ScoreFiles.readCm(dir.resolve("cm_scores.tsv"), dir.resolve("cm_keys.tsv"));
        ScoreSet worse = new ScoreSet(cm.bonafideScores(), java.util.Arrays.stream(cm.spoofScores()).map(v -> v + 1)
                .toArray());
        java.util.LinkedHashMap<String, ScoreSet> systems = new java.util.LinkedHashMap<>();
        systems.put("sft", cm);
        systems.put("grpo", worse);
        assertEquals(2, Plots.writeDetComparison(out, "det_compare", "In-domain", systems).size());
        String svg = Files.readString(out.resolve("det_compare.svg"));
        assertEquals(2, svg.split("<polyline", -1).length - 1, "one curve per system");
        assertTrue(svg.contains(String.format(java.util.Locale.ROOT, "sft (EER %.2f %%)", 100 * Eer.of(cm).rate())), svg);
        assertTrue(svg.contains(String.format(java.util.Locale.ROOT, "grpo (EER %.2f %%)", 100 * Eer.of(worse).rate())));
        assertTrue(Eer.of(worse).rate() > Eer.of(cm).rate());
    }

    @Test
    void probitMatchesKnownQuantiles() {
        assertEquals(0, Probit.of(0.5), 1e-12);
        assertEquals(1.959963984540054, Probit.of(0.975), 1e-8);
        assertEquals(-2.326347874040841, Probit.of(0.01), 1e-8);
    }

    @Test
    void malformedFilesNameFileAndLine(@TempDir Path dir) throws IOException {
        Path keys = Files.writeString(dir.resolve("keys.tsv"), "filename\tcm-label\nE_1\tbonafide\nE_2\tspoof\nE_3\tfake\n");
        Path scores = Files.writeString(dir.resolve("scores.tsv"), "filename\tcm-score\nE_1\t0.5\nE_2\tabc\nE_3\t1\n");
        ScoreFileException e = assertThrows(ScoreFileException.class, () -> ScoreFiles.readCm(scores, keys));
        assertTrue(e.getMessage().contains("scores.tsv line 3") && e.getMessage().contains("'abc'"), e.getMessage());
        Path good = Files.writeString(dir.resolve("good.tsv"), "filename\tcm-score\nE_1\t0.5\nE_2\t1\nE_3\t1\n");
        e = assertThrows(ScoreFileException.class, () -> ScoreFiles.readCm(good, keys));
        assertTrue(e.getMessage().contains("keys.tsv line 4") && e.getMessage().contains("'fake'"), e.getMessage());
        Path missing = Files.writeString(dir.resolve("short.tsv"), "filename\tcm-score\nE_1\t0.5\nE_2\t1\n");
        e = assertThrows(ScoreFileException.class, () -> ScoreFiles.readCm(missing, keys));
        assertTrue(e.getMessage().contains("'E_3'"), e.getMessage());
    }

    @Test
    void hardDecisionsCountBonaFideAsPositive() {
        Classification c = Classification.at(new ScoreSet(new double[] {1, 2, -1}, new double[] {-2, 0.5}), 0);
        assertEquals(2, c.truePositives());
        assertEquals(1, c.falsePositives());
        assertEquals(0.6, c.accuracy(), 1e-12);
        assertEquals(0.5 * (2.0 / 3 + 0.5), c.balancedAccuracy(), 1e-12);
        assertEquals(4.0 / 6, c.f1(), 1e-12);
    }
}
