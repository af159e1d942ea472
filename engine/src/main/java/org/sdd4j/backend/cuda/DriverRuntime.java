package org.sdd4j.backend.cuda;

import java.lang.foreign.MemorySegment;

import org.sdd4j.nativelib.CudaLibraries;
import org.sdd4j.nativelib.cuda.cuda_h;

import static org.sdd4j.nativelib.CudaErrors.check;

/** The hardware: GPU 0 through the CUDA driver API, cuBLASLt for products, pinned staging for host copies. */
final class DriverRuntime implements GpuRuntime {
    private final CudaContext context;
    private final CudaKernels kernels;
    private final Gemm gemm;
    private final PinnedStaging staging;

    /**
     * Opens GPU 0 and loads the kernels' fatbin.
     *
     * @throws IllegalStateException naming the reason when no usable GPU or no fatbin is present
     */
    DriverRuntime(MatmulPrecision precision) {
        this.context = CudaContext.open();
        this.kernels = new CudaKernels(context);
        this.gemm = new Gemm(context, precision);
        this.staging = new PinnedStaging(context);
    }

    @Override
    public String deviceName() {
        return CudaLibraries.probe().devices().getFirst().name();
    }

    @Override
    public int multiprocessors() {
        return CudaLibraries.probe().devices().getFirst().multiprocessors();
    }

    @Override
    public MatmulPrecision precision() {
        return gemm.precision();
    }

    @Override
    public long allocate(long bytes) {
        return context.allocate(bytes);
    }

    @Override
    public void free(long address) {
        context.free(address);
    }

    @Override
    public void upload(MemorySegment host, long device, long bytes) {
        staging.upload(host, device, bytes);
    }

    @Override
    public void download(long device, MemorySegment host, long bytes) {
        staging.download(device, host, bytes);
    }

    @Override
    public void copy(long dst, long src, long bytes) {
        context.copy(dst, src, bytes);
    }

    @Override
    public void fill32(long device, int bits, long count) {
        context.fill32(device, bits, count);
    }

    @Override
    public void launch(String name, int grid, int block, Object... args) {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            kernels.launch(name, grid, block, CudaKernels.marshal(arena, name, args));
        }
    }

    @Override
    public void matmul(boolean transA, boolean transB, int m, int n, int k, long a, long strideA, long b, long strideB,
                       long c, long strideC, int batch, boolean accumulate, long bias) {
        gemm.matmul(transA, transB, m, n, k, a, strideA, b, strideB, c, strideC, batch, accumulate, bias);
    }

    @Override
    public void synchronize() {
        context.synchronize();
    }

    /** Relaxed mode: the caching allocator may still call cuMemAlloc while the stream is recorded. */
    @Override
    public void beginCapture() {
        context.makeCurrent();
        check(cuda_h.cuStreamBeginCapture_v2(context.stream(), cuda_h.CU_STREAM_CAPTURE_MODE_RELAXED()),
                "cuStreamBeginCapture");
    }

    @Override
    public long endCapture() {
        context.makeCurrent();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment graph = arena.allocate(java.lang.foreign.ValueLayout.ADDRESS);
            check(cuda_h.cuStreamEndCapture(context.stream(), graph), "cuStreamEndCapture");
            MemorySegment g = graph.get(java.lang.foreign.ValueLayout.ADDRESS, 0);
            MemorySegment exec = arena.allocate(java.lang.foreign.ValueLayout.ADDRESS);
            try {
                check(cuda_h.cuGraphInstantiateWithFlags(exec, g, 0L), "cuGraphInstantiate");
            } finally {
                check(cuda_h.cuGraphDestroy(g), "cuGraphDestroy"); // the instantiated graph keeps what it needs
            }
            return exec.get(java.lang.foreign.ValueLayout.ADDRESS, 0).address();
        }
    }

    @Override
    public void launchGraph(long graph) {
        context.makeCurrent();
        check(cuda_h.cuGraphLaunch(MemorySegment.ofAddress(graph), context.stream()), "cuGraphLaunch");
    }

    @Override
    public void destroyGraph(long graph) {
        context.makeCurrent();
        check(cuda_h.cuGraphExecDestroy(MemorySegment.ofAddress(graph)), "cuGraphExecDestroy");
    }

    @Override
    public void close() {
        context.synchronize();
        gemm.close();
        staging.close();
        kernels.close();
        context.close();
    }
}
