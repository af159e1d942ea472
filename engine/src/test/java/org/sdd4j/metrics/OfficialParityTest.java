package org.sdd4j.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every metric against the numbers the official ASVspoof 5 (and, for the 2021 t-DCF, ASVspoof 2021)
 * evaluation code computed on the same files (tools/scripts/make_metric_fixtures.py).
 */
class OfficialParityTest {
    private static final double TOL = 1e-6;
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<String> cases() {
        return Stream.of("gaussian", "ties", "small", "scaled", "mixture_large");
    }

    static Path folder(String name) {
        try {
            return Path.of(OfficialParityTest.class.getResource("/metrics/" + name + "/expected.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode expected(Path dir) throws IOException {
        return JSON.readTree(dir.resolve("expected.json").toFile());
    }

    @ParameterizedTest
    @MethodSource("cases")
    void track1(String name) throws IOException {
        Path dir = folder(name);
        JsonNode x = expected(dir);
        ScoreSet cm = ScoreFiles.readCm(dir.resolve("cm_scores.tsv"), dir.resolve("cm_keys.tsv"));
        assertEquals(x.at("/counts/bonafide").asInt(), cm.bonafide().length);
        assertEquals(x.at("/counts/spoof").asInt(), cm.spoof().length);
        Eer eer = Eer.of(cm);
        assertEquals(x.get("eer").asDouble(), eer.rate(), TOL, "EER");
        assertEquals(x.get("eer_threshold").asDouble(), eer.threshold(), TOL, "EER threshold");
        assertEquals(x.get("min_dcf").asDouble(), Dcf.minimum(cm, DcfCosts.ASVSPOOF5).value(), TOL, "minDCF");
        assertEquals(x.get("act_dcf").asDouble(), Dcf.actual(cm, DcfCosts.ASVSPOOF5).value(), TOL, "actDCF");
        assertEquals(x.get("cllr").asDouble(), Cllr.of(cm), TOL, "Cllr");
        for (String at : new String[] {"classification_at_eer_threshold", "classification_at_zero"}) {
            JsonNode c = x.get(at);
            Classification k = Classification.at(cm, c.get("threshold").asDouble());
            assertEquals(c.get("accuracy").asDouble(), k.accuracy(), TOL, at);
            assertEquals(c.get("balanced_accuracy").asDouble(), k.balancedAccuracy(), TOL, at);
            assertEquals(c.get("f1").asDouble(), k.f1(), TOL, at);
            assertEquals(c.get("tp").asInt(), k.truePositives(), at);
            assertEquals(c.get("fp").asInt(), k.falsePositives(), at);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void track2(String name) throws IOException {
        Path dir = folder(name);
        JsonNode x = expected(dir);
        ScoreFiles.SasvTrials t = ScoreFiles.readSasv(dir.resolve("sasv_scores.tsv"), dir.resolve("sasv_keys.tsv"));
        assertEquals(x.get("a_dcf").asDouble(), ArchitectureDcf.minimum(t.sasv(), ArchitectureDcf.Costs.ASVSPOOF5).value(), TOL, "a-DCF");
        assertEquals(x.get("min_tdcf_asvspoof5").asDouble(), TandemDcf.minimum(t.cm(), AsvErrorRates.ASVSPOOF5_ORGANISERS,
                TandemCosts.ASVSPOOF, TandemDcf.Model.ASVSPOOF2021).value(), TOL, "min t-DCF (ASVspoof 5)");
        assertEquals(x.get("t_eer_percent").asDouble() / 100, TandemEer.of(t.asv(), t.cmByAsvKey()).rate(), TOL, "t-EER");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void tandemDcfWithAsvScores(String name) throws IOException {
        Path dir = folder(name);
        JsonNode x = expected(dir);
        ScoreFiles.SasvTrials t = ScoreFiles.readSasv(dir.resolve("sasv_scores.tsv"), dir.resolve("sasv_keys.tsv"));
        AsvScoreSet asv = t.asv();
        ScoreSet cm = t.cm();
        if (Files.exists(dir.resolve("asv_scores_2019.txt"))) {
            // The same trials through the ASVspoof 2019 formats.
            asv = ScoreFiles.readAsv(dir.resolve("asv_scores_2019.txt"));
            cm = ScoreFiles.readCm(dir.resolve("cm_scores_2019.txt"), dir.resolve("cm_protocol_2019.txt"));
            assertEquals(t.cm(), cm);
        }
        AsvErrorRates rates = AsvErrorRates.atEerThreshold(asv);
        assertEquals(x.get("asv_threshold").asDouble(), rates.threshold(), TOL);
        assertEquals(x.get("asv_pfa_nontarget").asDouble(), rates.falseAlarmNontarget(), TOL);
        assertEquals(x.get("asv_pmiss_target").asDouble(), rates.missTarget(), TOL);
        assertEquals(x.get("asv_pmiss_spoof").asDouble(), rates.missSpoof(), TOL);
        assertEquals(x.get("asv_pfa_spoof").asDouble(), rates.falseAlarmSpoof(), TOL);
        assertEquals(x.get("min_tdcf_2019").asDouble(),
                TandemDcf.minimum(cm, rates, TandemCosts.ASVSPOOF, TandemDcf.Model.ASVSPOOF2019).value(), TOL, "2019");
        assertEquals(x.get("min_tdcf_2021").asDouble(),
                TandemDcf.minimum(cm, rates, TandemCosts.ASVSPOOF, TandemDcf.Model.ASVSPOOF2021).value(), TOL, "2021");
    }
}
