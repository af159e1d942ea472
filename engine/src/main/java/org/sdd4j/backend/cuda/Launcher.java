package org.sdd4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.ToLongFunction;

import org.sdd4j.tensor.Tensor;

import static org.sdd4j.backend.cuda.CudaKernels.Ptr;

/**
 * What {@link CudaBackend} and its op families share to queue kernels: the GPU, its caching allocator, the device
 * address of any tensor (the backend's rule: its own on the GPU, the cached parameter copy of a host tensor), and
 * the launch geometry of kernels/*.cu: blocks of {@value #BLOCK} threads, grid-stride grids capped at 32 resident
 * blocks per SM, which saturate memory bandwidth.
 */
final class Launcher {
    static final int BLOCK = 256;

    final GpuRuntime gpu;
    final DeviceMemory memory;
    private final ToLongFunction<Tensor> addresses;
    private final int gridCap;

    Launcher(GpuRuntime gpu, DeviceMemory memory, ToLongFunction<Tensor> addresses) {
        this.gpu = gpu;
        this.memory = memory;
        this.addresses = addresses;
        this.gridCap = 32 * gpu.multiprocessors();
    }

    /** The device address of {@code t}'s elements, 0 for null. */
    long addr(Tensor t) {
        return t == null ? 0 : addresses.applyAsLong(t);
    }

    Ptr p(Tensor t) {
        return new Ptr(addr(t));
    }

    Ptr p(Tensor t, long floatOffset) {
        return new Ptr(addr(t) + 4 * floatOffset);
    }

    static Ptr p(DeviceBuffer b) {
        return b == null ? Ptr.NULL : new Ptr(b.address());
    }

    /** A grid-stride grid for {@code n} elements. */
    int grid(long n) {
        return (int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, gridCap));
    }

    /** Queues kernel {@code name} with {@code args} (see {@link CudaKernels#marshal}). */
    void launch(String name, int grid, int block, Object... args) {
        gpu.launch(name, grid, block, args);
    }

    /** A device copy of host ints (indices), in a block the caller gives back. */
    DeviceBuffer upload(int[] values) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocateFrom(ValueLayout.JAVA_INT, values);
            DeviceBuffer b = memory.take(Math.max(4, host.byteSize()));
            gpu.upload(host, b.address(), host.byteSize());
            return b;
        }
    }
}
