package org.sdd4j.checkpoint;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locates shared material (real checkpoints) and the committed fixtures. */
final class Shared {
    private Shared() {
    }

    /** A file under the shared folder; skips the test when the folder is not there. */
    static Path file(String relative) {
        Path root = Path.of(System.getProperty("sdd4j.shared", "../../shared"));
        Path file = root.resolve(relative);
        assumeTrue(Files.isRegularFile(file), "shared material not found: " + file + " (set -Dsdd4j.shared)");
        return file;
    }

    /** A committed fixture, copied to {@code dir} so that it can be mapped from the file system. */
    static Path fixture(String name, Path dir) throws IOException {
        Path out = dir.resolve(name);
        try (InputStream in = Shared.class.getResourceAsStream("/checkpoint/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource /checkpoint/" + name);
            }
            Files.copy(in, out);
        }
        return out;
    }
}
