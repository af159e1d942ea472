package org.sdd4j.zoo;

import java.io.IOException;

/** A model could not be pulled into the cache; {@link #kind()} says why, the message says what to do. */
public final class ModelPullException extends IOException {
    /** The distinct ways a pull fails, so that callers (the CLI) can react without parsing messages. */
    public enum Kind {
        /** The server could not be reached at all: no network, unknown host, refused connection. */
        OFFLINE,
        /** The server answered with a status other than 200. */
        HTTP_STATUS,
        /** The downloaded bytes do not have the pinned SHA-256 digest. */
        DIGEST_MISMATCH,
        /** The download has a different length from the catalogued size. */
        SIZE_MISMATCH,
        /** Reading the response or writing the cache failed part way. */
        TRANSFER
    }

    private final Kind kind;

    public ModelPullException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public ModelPullException(Kind kind, String message) {
        this(kind, message, null);
    }

    public Kind kind() {
        return kind;
    }
}
