package org.sdd4j.audio;

import java.nio.ByteBuffer;

/**
 * Decodes one container format to a mono {@link AudioClip}.
 *
 * <p>Implementations receive the whole file as a read-only buffer (memory-mapped by
 * {@link AudioReader}) whose position is 0 and whose limit is the file size; they must not depend on
 * its position or byte order. This is also the hook for a native (e.g. libsndfile) decoder: it can
 * hand the same buffer to the library's virtual-I/O interface.
 */
public interface AudioDecoder {

    /** A short format name for messages, e.g. {@code "WAV"}. */
    String formatName();

    /** Whether the contents look like this format (a magic-byte check; no full validation). */
    boolean recognizes(ByteBuffer contents);

    /**
     * Decodes all samples, mixing channels to mono by averaging.
     *
     * @param source name of the file, used in the clip and in error messages
     * @throws AudioFormatException if the contents are truncated, corrupt or unsupported
     */
    AudioClip decode(String source, ByteBuffer contents) throws AudioFormatException;
}
