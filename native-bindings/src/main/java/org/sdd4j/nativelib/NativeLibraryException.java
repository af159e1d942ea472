package org.sdd4j.nativelib;

/**
 * A native library could not be found, extracted or loaded. The message says what was looked for,
 * where, and how to fix it.
 */
public final class NativeLibraryException extends RuntimeException {
    public NativeLibraryException(String message) {
        super(message);
    }

    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
