package org.sdd4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.sdd4j.nativelib.CudaAvailability;
import org.sdd4j.nativelib.CudaLibraries;
import org.sdd4j.nativelib.cuda.cuda_h;

import static org.sdd4j.nativelib.CudaErrors.check;

/**
 * GPU 0's primary context and one non-blocking stream. The primary context is the one the CUDA runtime
 * inside cuBLASLt and cuDNN uses, so device memory and streams are shared with them. The driver's current
 * context is per thread: every entry point calls {@link #makeCurrent()} first.
 */
public final class CudaContext implements AutoCloseable {
    private final int device;
    private final MemorySegment context;
    private final MemorySegment stream;

    private CudaContext(int device, MemorySegment context, MemorySegment stream) {
        this.device = device;
        this.context = context;
        this.stream = stream;
    }

    /**
     * Opens GPU 0.
     *
     * @throws IllegalStateException with {@link CudaAvailability#reason()} when the GPU cannot be used
     */
    public static CudaContext open() {
        CudaAvailability gpu = CudaLibraries.probe();
        if (!gpu.usable()) {
            throw new IllegalStateException("the CUDA backend cannot start: " + gpu.reason());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment intOut = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment ptrOut = arena.allocate(ValueLayout.ADDRESS);
            check(cuda_h.cuDeviceGet(intOut, 0), "cuDeviceGet(0)");
            int device = intOut.get(ValueLayout.JAVA_INT, 0);
            check(cuda_h.cuDevicePrimaryCtxRetain(ptrOut, device), "cuDevicePrimaryCtxRetain");
            MemorySegment context = ptrOut.get(ValueLayout.ADDRESS, 0);
            check(cuda_h.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            check(cuda_h.cuStreamCreate(ptrOut, cuda_h.CU_STREAM_NON_BLOCKING()), "cuStreamCreate");
            return new CudaContext(device, context, ptrOut.get(ValueLayout.ADDRESS, 0));
        }
    }

    /** Makes this context current on the calling thread. */
    public void makeCurrent() {
        check(cuda_h.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    /** The stream every kernel, copy and library call of this backend is ordered on. */
    public MemorySegment stream() {
        return stream;
    }

    /** Waits for everything queued on the stream; surfaces asynchronous kernel faults. */
    public void synchronize() {
        check(cuda_h.cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    /** A fresh block of device memory (cuMemAlloc, which synchronises: callers cache blocks). */
    public long allocate(long bytes) {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG);
            check(cuda_h.cuMemAlloc_v2(out, bytes), "cuMemAlloc(" + bytes + " bytes)");
            return out.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /** Frees a block from {@link #allocate}. */
    public void free(long address) {
        makeCurrent();
        check(cuda_h.cuMemFree_v2(address), "cuMemFree");
    }

    /** Queues a device-to-device copy of {@code bytes}. */
    public void copy(long dst, long src, long bytes) {
        check(cuda_h.cuMemcpyDtoDAsync_v2(dst, src, bytes, stream), "cuMemcpyDtoDAsync(" + bytes + " bytes)");
    }

    /** Fills {@code count} 32-bit words at {@code deviceAddress} with {@code bits} (0 for float zeros). */
    public void fill32(long deviceAddress, int bits, long count) {
        check(cuda_h.cuMemsetD32Async(deviceAddress, bits, count, stream), "cuMemsetD32Async");
    }

    @Override
    public void close() {
        makeCurrent();
        check(cuda_h.cuStreamSynchronize(stream), "cuStreamSynchronize");
        check(cuda_h.cuStreamDestroy_v2(stream), "cuStreamDestroy");
        check(cuda_h.cuDevicePrimaryCtxRelease_v2(device), "cuDevicePrimaryCtxRelease");
    }
}
