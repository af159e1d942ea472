package org.sdd4j.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.sdd4j.nativelib.cuda.cuda_h;

/** Names for CUDA driver result codes; only valid once the driver library is loaded. */
public final class CudaErrors {
    private CudaErrors() {
    }

    /** {@code "CUDA_ERROR_NO_DEVICE (100): no CUDA-capable device is detected"}, or the bare code if unknown. */
    public static String describe(int result) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(ValueLayout.ADDRESS);
            String name = cuda_h.cuGetErrorName(result, p) == cuda_h.CUDA_SUCCESS()
                    ? p.get(ValueLayout.ADDRESS, 0).reinterpret(256).getString(0) : "CUresult";
            String text = cuda_h.cuGetErrorString(result, p) == cuda_h.CUDA_SUCCESS()
                    ? ": " + p.get(ValueLayout.ADDRESS, 0).reinterpret(1024).getString(0) : "";
            return name + " (" + result + ")" + text;
        }
    }

    /**
     * Throws unless {@code result} is {@code CUDA_SUCCESS}.
     *
     * @param call what was called, for the message, e.g. {@code cuMemAlloc(4096 bytes)}
     * @throws CudaException naming the call and the driver's error
     */
    public static void check(int result, String call) {
        if (result != cuda_h.CUDA_SUCCESS()) {
            throw new CudaException(call + " failed: " + describe(result), result);
        }
    }
}
