package org.sdd4j.data;

import java.io.IOException;
import java.nio.file.Path;

/** A protocol or list file that does not have the expected format; the message names file and line. */
public final class ProtocolFormatException extends IOException {
    private final Path file;
    private final int line;

    public ProtocolFormatException(Path file, int line, String problem) {
        super(file + (line > 0 ? ":" + line : "") + ": " + problem);
        this.file = file;
        this.line = line;
    }

    /** The protocol file. */
    public Path file() {
        return file;
    }

    /** The 1-based line, or 0 for a problem with the file as a whole. */
    public int line() {
        return line;
    }
}
