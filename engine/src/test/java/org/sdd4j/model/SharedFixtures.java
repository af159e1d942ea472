package org.sdd4j.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared (weights and reference fixtures); tests that need it are skipped, with a note, without it. */
public final class SharedFixtures {
    private SharedFixtures() {
    }

    public static Path root() {
        Path p = Path.of(System.getProperty("sdd4j.shared", "../shared")).toAbsolutePath().normalize();
        assumeTrue(Files.isDirectory(p.resolve("fixtures")), "shared fixtures not found at " + p
                + " (set -Dsdd4j.shared=PATH); skipping");
        return p;
    }

    public static Path audio(String name) {
        return root().resolve("fixtures/audio").resolve(name);
    }

    public static JsonNode json(String relative) throws IOException {
        return new ObjectMapper().readTree(root().resolve(relative).toFile());
    }
}
