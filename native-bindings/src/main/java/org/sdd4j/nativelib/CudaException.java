package org.sdd4j.nativelib;

/** A CUDA driver, cuBLASLt or cuDNN call failed; the message names the call and the library's error. */
public final class CudaException extends RuntimeException {
    private final int code;

    public CudaException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The library's status code (a {@code CUresult}, {@code cublasStatus_t} or {@code cudnnStatus_t}). */
    public int code() {
        return code;
    }
}
