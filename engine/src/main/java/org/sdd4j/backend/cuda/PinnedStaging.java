package org.sdd4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.sdd4j.nativelib.cuda.cuda_h;

import static org.sdd4j.nativelib.CudaErrors.check;

/**
 * Page-locked host memory that host tensors cross the bus through. A copy from pageable memory makes the
 * driver stage it through its own small pinned buffer in pieces; copying into one pinned block first and
 * transferring that at full bus speed is faster for audio batches and parameter uploads, and lets the copy
 * be queued on the backend's stream. The block grows to the largest transfer seen and is reused; each
 * transfer waits for its copy, so the block is free again when the call returns.
 */
final class PinnedStaging implements AutoCloseable {
    private final CudaContext context;
    private MemorySegment block = MemorySegment.NULL;

    PinnedStaging(CudaContext context) {
        this.context = context;
    }

    private MemorySegment ensure(long bytes) {
        if (block.byteSize() < bytes) {
            release();
            context.makeCurrent();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
                long size = Math.max(bytes, 1L << 20);
                check(cuda_h.cuMemAllocHost_v2(out, size), "cuMemAllocHost(" + size + " bytes)");
                block = out.get(ValueLayout.ADDRESS, 0).reinterpret(size);
            }
        }
        return block;
    }

    /** Copies {@code bytes} of host memory to {@code device}, queued after earlier work; waits for it. */
    synchronized void upload(MemorySegment host, long device, long bytes) {
        MemorySegment pinned = ensure(bytes);
        // The previous transfer waited, so the block is not being read by the GPU now.
        MemorySegment.copy(host, 0, pinned, 0, bytes);
        context.makeCurrent();
        check(cuda_h.cuMemcpyHtoDAsync_v2(device, pinned, bytes, context.stream()),
                "cuMemcpyHtoDAsync(" + bytes + " bytes)");
        context.synchronize();
    }

    /** Waits for earlier work, then copies {@code bytes} from {@code device} into host memory. */
    synchronized void download(long device, MemorySegment host, long bytes) {
        MemorySegment pinned = ensure(bytes);
        context.makeCurrent();
        check(cuda_h.cuMemcpyDtoHAsync_v2(pinned, device, bytes, context.stream()),
                "cuMemcpyDtoHAsync(" + bytes + " bytes)");
        context.synchronize();
        MemorySegment.copy(pinned, 0, host, 0, bytes);
    }

    private void release() {
        if (block.address() != 0) {
            context.makeCurrent();
            check(cuda_h.cuMemFreeHost(block), "cuMemFreeHost");
            block = MemorySegment.NULL;
        }
    }

    @Override
    public synchronized void close() {
        release();
    }
}
