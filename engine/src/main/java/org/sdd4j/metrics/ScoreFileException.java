package org.sdd4j.metrics;

import java.io.IOException;
import java.nio.file.Path;

/** A score or key file that cannot be read as one of the supported formats; the message names the file and line. */
public final class ScoreFileException extends IOException {
    private static final long serialVersionUID = 1L;

    ScoreFileException(Path file, int line, String problem) {
        super(file + (line > 0 ? " line " + line : "") + ": " + problem);
    }
}
