package org.sdd4j.backend.cuda;

import java.lang.foreign.MemorySegment;

/**
 * What {@link CudaBackend} needs from a GPU: device memory, copies, kernel launches and matrix products, all
 * ordered on one stream. {@link DriverRuntime} is the hardware (the CUDA driver API and cuBLASLt); the tests
 * add a host emulator of the kernels (kernels/host) so that the backend's own code, its kernels, launch
 * shapes and argument marshalling included, runs and is checked where there is no GPU.
 *
 * <p>Device addresses are plain {@code long}s; copies to the host wait for the stream, everything else is
 * queued on it.
 */
interface GpuRuntime extends AutoCloseable {
    /** The device's name, for {@link CudaBackend#name()}. */
    String deviceName();

    /** Streaming multiprocessors: grid-stride kernels size their grids from it. */
    int multiprocessors();

    /** What matrix products may round their inputs to. */
    MatmulPrecision precision();

    /**
     * A fresh block of device memory.
     *
     * @throws org.sdd4j.nativelib.CudaException with the driver's out-of-memory code when the device is full
     */
    long allocate(long bytes);

    /**
     * Whether the caching allocator should hand out blocks of exactly the size asked (to 4 bytes) and reuse only
     * blocks of that size, instead of rounding up: the host kernel emulator guards the end of every block, and
     * catches a kernel writing past a tensor only when the tensor ends where its block does.
     */
    default boolean exactBlocks() {
        return false;
    }

    /** Frees a block from {@link #allocate}; the caller has synchronised. */
    void free(long address);

    /** Copies host memory to the device, queued after earlier work; waits for it. */
    void upload(MemorySegment host, long device, long bytes);

    /** Waits for earlier work, then copies device memory to the host. */
    void download(long device, MemorySegment host, long bytes);

    /** Queues a device-to-device copy. */
    void copy(long dst, long src, long bytes);

    /** Queues filling {@code count} 32-bit words with {@code bits}. */
    void fill32(long device, int bits, long count);

    /**
     * Queues kernel {@code name} on a 1-D grid with {@code args} in the kernel's parameter order (the types
     * {@link CudaKernels#marshal} takes).
     */
    void launch(String name, int grid, int block, Object... args);

    /** Queues {@link Gemm#matmul}'s row-major product (see there for the arguments). */
    void matmul(boolean transA, boolean transB, int m, int n, int k, long a, long strideA, long b, long strideB,
                long c, long strideC, int batch, boolean accumulate, long bias);

    /** Waits for everything queued; surfaces asynchronous faults. */
    void synchronize();

    /**
     * Starts recording the stream's work (launches, device copies, fills, products) into a graph instead of
     * running it. Until {@link #endCapture}, uploads, downloads, waits and frees fail: they would not be
     * recorded, or would break the recording.
     */
    void beginCapture();

    /** Ends the recording: a handle to the instantiated graph of everything queued since {@link #beginCapture}. */
    long endCapture();

    /** Queues one replay of a captured graph. */
    void launchGraph(long graph);

    /** Frees a captured graph (the caller has synchronised). */
    void destroyGraph(long graph);

    @Override
    void close();
}
