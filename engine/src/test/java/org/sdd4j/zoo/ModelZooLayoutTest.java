package org.sdd4j.zoo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Where the zoo looks for and puts files; needs neither network nor shared checkpoints. */
class ModelZooLayoutTest {
    @TempDir
    Path cache;

    @Test
    void mirrorLayoutAndCacheLayoutAreNameSlashFile() {
        ModelZoo zoo = ModelZoo.builder().cacheDir(cache).baseUrl(URI.create("https://models.example.org/sdd4j")).build();
        ModelEntry entry = zoo.entry("asvspoof5-aasist");
        assertEquals(URI.create("https://models.example.org/sdd4j/asvspoof5-aasist/best.pth"), zoo.downloadUri(entry));
        assertEquals(cache.resolve("asvspoof5-aasist").resolve("best.pth"), zoo.cachedPath(entry));
        ModelZoo official = ModelZoo.builder().cacheDir(cache).build();
        assertEquals(entry.url(), official.downloadUri(entry));
    }

    @Test
    void cacheRootPropertyPutsModelsInItsModelsFolder() {
        String before = System.getProperty(ModelZoo.CACHE_PROPERTY);
        try {
            System.setProperty(ModelZoo.CACHE_PROPERTY, cache.toString());
            assertEquals(cache.resolve("models"), ModelZoo.defaultCacheDir());
            assertEquals(cache.resolve("models"), new ModelZoo().cacheDir());
        } finally {
            if (before == null) {
                System.clearProperty(ModelZoo.CACHE_PROPERTY);
            } else {
                System.setProperty(ModelZoo.CACHE_PROPERTY, before);
            }
        }
    }
}
