package org.sdd4j.zoo;

/**
 * Told how far a download has got, so that a caller can draw a progress bar. Called on the downloading
 * thread after every chunk written, so implementations should be cheap (or throttle themselves).
 */
@FunctionalInterface
public interface ProgressListener {
    /** A listener that ignores progress. */
    ProgressListener NONE = (bytesDone, totalBytes) -> { };

    /**
     * @param bytesDone  bytes written to disk so far
     * @param totalBytes the expected total, or {@code -1} when neither the server nor the catalogue knows it
     */
    void onProgress(long bytesDone, long totalBytes);
}
