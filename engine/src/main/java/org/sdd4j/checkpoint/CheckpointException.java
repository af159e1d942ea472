package org.sdd4j.checkpoint;

import java.nio.file.Path;

/**
 * A checkpoint file that cannot be used as asked: malformed, truncated, of an unknown format, naming a
 * forbidden pickle global, or lacking a tensor a model needs. The message always names the file.
 */
public final class CheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(Path file, String problem) {
        super(problem + " in " + file);
    }

    public CheckpointException(Path file, String problem, Throwable cause) {
        super(problem + " in " + file, cause);
    }
}
