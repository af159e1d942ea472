package org.sdd4j.zoo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelCatalogueTest {

    @Test
    void builtInCatalogueListsTheOfficialCheckpoints() {
        ModelCatalogue catalogue = ModelCatalogue.builtIn();
        Set<String> names = catalogue.entries().stream().map(ModelEntry::name).collect(Collectors.toSet());
        for (String expected : List.of("aasist", "aasist-l", "asvspoof5-aasist", "xls-r-2b-anti-deepfake",
                "xls-r-1b-anti-deepfake", "mms-1b-anti-deepfake", "mms-300m-anti-deepfake",
                "wav2vec-large-anti-deepfake", "wav2vec-small-anti-deepfake", "hubert-xlarge-anti-deepfake",
                "xls-r-2b-anti-deepfake-nda")) {
            assertTrue(names.contains(expected), "catalogue lacks " + expected + ": " + names);
        }
        for (ModelEntry e : catalogue.entries()) {
            assertEquals("https", e.url().getScheme(), e.name());
            assertTrue(e.url().getPath().endsWith("/" + e.fileName()), e.name() + ": " + e.url());
        }
    }

    @Test
    void aasistEntriesArePinnedAndCarryTheirArchitecture() throws IOException {
        ModelCatalogue catalogue = ModelCatalogue.builtIn();
        ModelEntry light = catalogue.get("aasist-l");
        assertEquals(ModelFamily.AASIST, light.family());
        assertEquals("814331d088032bb4c3fa61cc014789eadeed464209dd094ab3a2dd6ffbdce27a", light.sha256().orElseThrow());
        assertEquals(426_428L, light.sizeBytes().orElseThrow());
        assertEquals("MIT", light.licence());

        JsonNode config = new ObjectMapper().readTree(ModelCatalogue.config(light).orElseThrow());
        assertEquals(64_600, config.get("nb_samp").asInt());
        assertEquals(24, config.get("gat_dims").get(0).asInt());
        JsonNode full = new ObjectMapper().readTree(ModelCatalogue.config(catalogue.get("aasist")).orElseThrow());
        assertEquals(64, full.get("gat_dims").get(0).asInt());
        assertEquals(0.5, full.get("pool_ratios").get(0).asDouble());

        assertTrue(catalogue.get("asvspoof5-aasist").verified());
        assertTrue(catalogue.get("asvspoof5-aasist").url().toString()
                .contains("asvspoof-challenge/asvspoof5/main/Baseline-AASIST/models/weights/AASIST/best.pth"));
    }

    @Test
    void antiDeepfakeEntriesAreHuggingFaceSafetensorsWithoutPinnedDigests() {
        ModelEntry e = ModelCatalogue.builtIn().get("xls-r-1b-anti-deepfake");
        assertEquals(ModelFamily.ANTIDEEPFAKE, e.family());
        assertEquals("https://huggingface.co/nii-yamagishilab/xls-r-1b-anti-deepfake/resolve/main/model.safetensors",
                e.url().toString());
        assertFalse(e.verified(), "no digest is published for the AntiDeepfake files");
        assertEquals("CC-BY-NC-SA-4.0", e.licence());
        assertTrue(ModelCatalogue.config(e).isEmpty());
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelCatalogue.builtIn().get("aasist-xl"));
        assertTrue(e.getMessage().contains("'aasist-xl'") && e.getMessage().contains("aasist-l"), e.getMessage());
    }

    @Test
    void badEntriesAreRejectedNamingOriginAndEntry() {
        String badDigest = """
                {"models": [{"name": "m", "family": "aasist", "description": "d", "url": "https://x.org/m.pth",
                  "file": "m.pth", "sha256": "ABC", "licence": "MIT", "homepage": "https://x.org"}]}""";
        IOException e = assertThrows(IOException.class, () -> parse(badDigest));
        assertTrue(e.getMessage().startsWith("test.json: models[0] ('m')") && e.getMessage().contains("sha256"),
                e.getMessage());

        String missingUrl = """
                {"models": [{"name": "m", "family": "aasist", "description": "d",
                  "file": "m.pth", "licence": "MIT", "homepage": "https://x.org"}]}""";
        e = assertThrows(IOException.class, () -> parse(missingUrl));
        assertTrue(e.getMessage().contains("'url'"), e.getMessage());

        String typo = """
                {"models": [{"name": "m", "family": "aasist", "description": "d", "url": "https://x.org/m.pth",
                  "file": "m.pth", "sha265": null, "licence": "MIT", "homepage": "https://x.org"}]}""";
        e = assertThrows(IOException.class, () -> parse(typo));
        assertTrue(e.getMessage().contains("unknown field 'sha265'"), e.getMessage());

        String unknownFamily = """
                {"models": [{"name": "m", "family": "rawnet9", "description": "d", "url": "https://x.org/m.pth",
                  "file": "m.pth", "licence": "MIT", "homepage": "https://x.org"}]}""";
        e = assertThrows(IOException.class, () -> parse(unknownFamily));
        assertTrue(e.getMessage().contains("rawnet9"), e.getMessage());

        String twice = """
                {"models": [
                 {"name": "m", "family": "aasist", "description": "d", "url": "https://x.org/m.pth",
                  "file": "m.pth", "licence": "MIT", "homepage": "https://x.org"},
                 {"name": "m", "family": "aasist", "description": "d", "url": "https://x.org/m.pth",
                  "file": "m.pth", "licence": "MIT", "homepage": "https://x.org"}]}""";
        e = assertThrows(IOException.class, () -> parse(twice));
        assertTrue(e.getMessage().contains("listed twice"), e.getMessage());

        e = assertThrows(IOException.class, () -> parse("{\"models\": [}"));
        assertTrue(e.getMessage().startsWith("test.json: not valid JSON"), e.getMessage());
    }

    private static ModelCatalogue parse(String json) throws IOException {
        return ModelCatalogue.parse(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "test.json");
    }
}
