package org.sdd4j.audio;

import java.io.IOException;

/**
 * A file that cannot be decoded as audio: empty, truncated, corrupt, not audio at all, or in a format
 * this build cannot decode. The message always starts with the source name, then says what is wrong.
 */
public final class AudioFormatException extends IOException {
    private final String source;
    private final String problem;

    public AudioFormatException(String source, String problem) {
        super(source + ": " + problem);
        this.source = source;
        this.problem = problem;
    }

    /** The file (or other source) that could not be decoded. */
    public String source() {
        return source;
    }

    /** What is wrong, without the source name. */
    public String problem() {
        return problem;
    }
}
