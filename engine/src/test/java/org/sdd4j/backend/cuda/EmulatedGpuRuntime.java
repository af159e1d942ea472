package org.sdd4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;

import org.sdd4j.backend.cpu.dnnl.OneDnn;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * sdd4j's kernels on the host: the emulator library kernels/build-host.sh compiles from kernels/*.cu
 * (kernels/host/emulator.cpp) behind {@link GpuRuntime}. "Device" memory is host memory from malloc, copies
 * are memcpy, every call completes before it returns, and matrix products follow {@link Gemm#matmul}'s
 * row-major contract on oneDNN's sgemm when the CPU backend's oneDNN is here (the model parity tests run
 * products of billions of multiply-adds), else on the emulator's plain loop; in TF32 or bfloat16 the inputs
 * are rounded first, as tensor cores round them ({@link MatmulPrecision#round}).
 *
 * <p>Every block is followed by guard bytes, and the caching allocator hands out exact sizes here
 * ({@link #exactBlocks}), so a kernel, copy or product that writes past the end of a tensor is reported after it
 * runs, by name.
 *
 * <p>Stream capture records each queued operation instead of running it, and a graph launch runs the recording;
 * uploads, downloads, waits and frees during a capture fail, as they would break or escape a real one. That
 * checks that a captured forward pass stays on the device.
 *
 * <p>It runs the CUDA backend's own code (kernels, grids and blocks, argument marshalling, the caching
 * allocator, the op glue) where there is no GPU. It cannot stand in for the driver, cuBLASLt's descriptors,
 * real concurrency or the GPU's float behaviour: those are checked only on the hardware.
 */
final class EmulatedGpuRuntime implements GpuRuntime {
    /** Where the build put the emulator library (set by the engine's surefire configuration). */
    static final String PROPERTY = "sdd4j.cuda.emulator";
    /** Few SMs keep grid-stride grids small: each emulated thread costs a fiber switch. */
    private static final int MULTIPROCESSORS = 2;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MALLOC = LINKER.downcallHandle(
            LINKER.defaultLookup().find("malloc").orElseThrow(), FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("free").orElseThrow(), FunctionDescriptor.ofVoid(JAVA_LONG));

    private final MatmulPrecision precision;
    private final MethodHandle launch;
    private final MethodHandle gemm;
    private final MethodHandle kernelCount;
    private final MethodHandle kernelName;
    private final MethodHandle setReversed;
    /** Live blocks: address to the size asked; each is followed by {@link #GUARD} bytes of {@link #CANARY}. */
    private final java.util.TreeMap<Long, Long> blocks = new java.util.TreeMap<>();
    /** Bytes after every block that no kernel may write: the emulator's bounds check (see {@link #exactBlocks}). */
    private static final int GUARD = 64;
    private static final byte CANARY = (byte) 0xA5;
    /** The operations queued since beginCapture, or null when not capturing. */
    private java.util.List<Runnable> capturing;
    private final java.util.Map<Long, java.util.List<Runnable>> graphs = new java.util.HashMap<>();
    private long nextGraph = 1;
    private final OneDnn onednn = openOneDnn();

    EmulatedGpuRuntime(Path library, MatmulPrecision precision) {
        this.precision = precision;
        SymbolLookup lib = SymbolLookup.libraryLookup(library, Arena.global());
        launch = LINKER.downcallHandle(lib.find("sdd4j_emu_launch").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        gemm = LINKER.downcallHandle(lib.find("sdd4j_emu_gemm").orElseThrow(), FunctionDescriptor.ofVoid(JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
        kernelCount = LINKER.downcallHandle(lib.find("sdd4j_emu_kernel_count").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT));
        kernelName = LINKER.downcallHandle(lib.find("sdd4j_emu_kernel_name").orElseThrow(),
                FunctionDescriptor.of(ADDRESS, JAVA_INT));
        setReversed = LINKER.downcallHandle(lib.find("sdd4j_emu_set_reversed").orElseThrow(),
                FunctionDescriptor.ofVoid(JAVA_INT));
    }

    /**
     * Runs later launches' threads (between barriers) and blocks in reverse index order, or again in index order.
     * A race-free kernel gives the same bits either way (ScheduleIndependenceTest). The emulator's state is global,
     * so this holds for every runtime on the library until set back.
     */
    void reversed(boolean on) {
        try {
            setReversed.invokeExact(on ? 1 : 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The kernels the emulator was built with. */
    List<String> kernels() {
        try {
            int n = (int) kernelCount.invokeExact();
            String[] names = new String[n];
            for (int i = 0; i < n; i++) {
                names[i] = ((MemorySegment) kernelName.invokeExact(i)).reinterpret(256).getString(0);
            }
            return List.of(names);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public String deviceName() {
        return "host kernel emulator";
    }

    @Override
    public int multiprocessors() {
        return MULTIPROCESSORS;
    }

    @Override
    public MatmulPrecision precision() {
        return precision;
    }

    @Override
    public synchronized long allocate(long bytes) {
        try {
            long address = (long) MALLOC.invokeExact(bytes + GUARD);
            if (address == 0) {
                throw new OutOfMemoryError("emulated device: malloc(" + bytes + ") failed");
            }
            at(address + bytes, GUARD).fill(CANARY);
            blocks.put(address, bytes);
            return address;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public synchronized void free(long address) {
        refuseWhileCapturing("cuMemFree");
        Long bytes = blocks.get(address);
        if (bytes == null) {
            throw new IllegalArgumentException("emulated device: free of " + Long.toHexString(address)
                    + ", which is not a live block (double free, or not from allocate)");
        }
        blocks.remove(address);
        IllegalStateException overrun = null;
        try {
            checkGuard(address, bytes, "something");
        } catch (IllegalStateException e) {
            overrun = e; // freed all the same, then reported
        }
        try {
            FREE.invokeExact(address);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (overrun != null) {
            throw overrun;
        }
    }

    /** Every block is handed out at its exact size, so that its guard bytes start where its tensor ends. */
    @Override
    public boolean exactBlocks() {
        return true;
    }

    /** Throws, naming {@code writer}, when the guard bytes after the block at {@code address} were written. */
    private static void checkGuard(long address, long bytes, String writer) {
        MemorySegment guard = at(address + bytes, GUARD);
        for (int i = 0; i < GUARD; i++) {
            if (guard.get(ValueLayout.JAVA_BYTE, i) != CANARY) {
                throw new IllegalStateException("emulated device: " + writer + " wrote past the end of the "
                        + bytes + "-byte block at 0x" + Long.toHexString(address) + " (guard byte " + i + ")");
            }
        }
    }

    /** Checks the guard of the live block holding {@code address}, if any. */
    private synchronized void checkGuardAround(long address, String writer) {
        var e = blocks.floorEntry(address);
        if (e != null && address < e.getKey() + e.getValue() + GUARD) {
            checkGuard(e.getKey(), e.getValue(), writer);
        }
    }

    private static MemorySegment at(long address, long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    @Override
    public void upload(MemorySegment host, long device, long bytes) {
        refuseWhileCapturing("an upload from the host");
        MemorySegment.copy(host, 0, at(device, bytes), 0, bytes);
    }

    @Override
    public void download(long device, MemorySegment host, long bytes) {
        refuseWhileCapturing("a download to the host");
        MemorySegment.copy(at(device, bytes), 0, host, 0, bytes);
    }

    @Override
    public void copy(long dst, long src, long bytes) {
        enqueue(() -> {
            MemorySegment.copy(at(src, bytes), 0, at(dst, bytes), 0, bytes);
            checkGuardAround(dst, "a device copy of " + bytes + " bytes");
        });
    }

    @Override
    public void fill32(long device, int bits, long count) {
        enqueue(() -> {
            fillNow(device, bits, count);
            checkGuardAround(device, "a fill of " + count + " words");
        });
    }

    private static void fillNow(long device, int bits, long count) {
        MemorySegment s = at(device, 4 * count);
        if (bits == 0) {
            s.fill((byte) 0);
        } else {
            for (long i = 0; i < count; i++) {
                s.setAtIndex(ValueLayout.JAVA_INT, i, bits);
            }
        }
    }

    @Override
    public void launch(String name, int grid, int block, Object... args) {
        Object[] values = args.clone(); // a recorded launch keeps its argument values, as cuLaunchKernel does
        enqueue(() -> launchNow(name, grid, block, values));
    }

    private void launchNow(String name, int grid, int block, Object[] args) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = CudaKernels.marshal(arena, name, args);
            MemorySegment error = arena.allocate(1024);
            int status = (int) launch.invokeExact(arena.allocateFrom(name), grid, block, params, error, 1024);
            if (status != 0) {
                throw new IllegalStateException("emulated launch of " + name + " failed: " + error.getString(0));
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
        for (int i = 0; i < args.length; i++) {
            if (args[i] instanceof CudaKernels.Ptr p && p.address() != 0) {
                checkGuardAround(p.address(), "kernel " + name + " (through its argument " + i + ")");
            }
        }
    }

    @Override
    public void matmul(boolean transA, boolean transB, int m, int n, int k, long a, long strideA, long b, long strideB,
                       long c, long strideC, int batch, boolean accumulate, long bias) {
        enqueue(() -> {
            matmulNow(transA, transB, m, n, k, a, strideA, b, strideB, c, strideC, batch, accumulate, bias);
            checkGuardAround(c, "a matrix product");
        });
    }

    private void matmulNow(boolean transA, boolean transB, int m, int n, int k, long a, long strideA, long b,
                           long strideB, long c, long strideC, int batch, boolean accumulate, long bias) {
        if (m == 0 || n == 0) {
            return;
        }
        if (onednn != null) {
            oneDnnMatmul(transA, transB, m, n, k, a, strideA, b, strideB, c, strideC, batch, accumulate, bias);
            return;
        }
        try {
            gemm.invokeExact(transA ? 1 : 0, transB ? 1 : 0, m, n, k, a, strideA, b, strideB, c, strideC, batch,
                    accumulate ? 1 : 0, bias, precision.ordinal());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private void oneDnnMatmul(boolean transA, boolean transB, int m, int n, int k, long a, long strideA, long b,
                              long strideB, long c, long strideC, int batch, boolean accumulate, long bias) {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment as = operand(scratch, a, strideA, batch, (long) m * k);
            MemorySegment bs = operand(scratch, b, strideB, batch, (long) k * n);
            MemorySegment cs = at(c, 4 * (strideC * (batch - 1) + (long) m * n));
            MemorySegment biases = bias == 0 ? null : at(bias, 4L * n);
            for (int q = 0; q < batch; q++) {
                MemorySegment cq = cs.asSlice(4 * strideC * q, 4L * m * n);
                onednn.sgemm(transA, transB, m, n, k, 1f, as.asSlice(4 * strideA * q, 4L * m * k), transA ? m : k,
                        bs.asSlice(4 * strideB * q, 4L * k * n), transB ? k : n, accumulate ? 1f : 0f, cq, n);
                if (biases != null) {
                    for (long e = 0; e < (long) m * n; e++) {
                        cq.setAtIndex(ValueLayout.JAVA_FLOAT, e, cq.getAtIndex(ValueLayout.JAVA_FLOAT, e)
                                + biases.getAtIndex(ValueLayout.JAVA_FLOAT, e % n));
                    }
                }
            }
        }
    }

    /** A batched operand as sgemm reads it: in place in float32, or a copy rounded as tensor cores round it. */
    private MemorySegment operand(Arena scratch, long address, long stride, int batch, long size) {
        long floats = stride * (batch - 1) + size;
        MemorySegment s = at(address, 4 * floats);
        if (precision == MatmulPrecision.FLOAT32) {
            return s;
        }
        MemorySegment rounded = scratch.allocate(4 * floats, 64);
        for (long i = 0; i < floats; i++) {
            rounded.setAtIndex(ValueLayout.JAVA_FLOAT, i, precision.round(s.getAtIndex(ValueLayout.JAVA_FLOAT, i)));
        }
        return rounded;
    }

    private static OneDnn openOneDnn() {
        try {
            return OneDnn.create(Runtime.getRuntime().availableProcessors());
        } catch (RuntimeException | LinkageError e) {
            return null; // the emulator's loop is slower but needs nothing
        }
    }

    @Override
    public void synchronize() {
        refuseWhileCapturing("a wait for the stream");
        // Every call above has completed when it returns.
    }

    /** Runs {@code op} now, or records it while capturing. */
    private synchronized void enqueue(Runnable op) {
        if (capturing != null) {
            capturing.add(op);
        } else {
            op.run();
        }
    }

    private synchronized void refuseWhileCapturing(String what) {
        if (capturing != null) {
            throw new IllegalStateException("emulated device: " + what + " during stream capture (it would not be"
                    + " part of the graph, or would end the capture)");
        }
    }

    @Override
    public synchronized void beginCapture() {
        if (capturing != null) {
            throw new IllegalStateException("emulated device: the stream is already being captured");
        }
        capturing = new java.util.ArrayList<>();
    }

    @Override
    public synchronized long endCapture() {
        if (capturing == null) {
            throw new IllegalStateException("emulated device: no capture under way");
        }
        long id = nextGraph++;
        graphs.put(id, capturing);
        capturing = null;
        return id;
    }

    @Override
    public void launchGraph(long graph) {
        java.util.List<Runnable> ops;
        synchronized (this) {
            refuseWhileCapturing("a graph launch");
            ops = graphs.get(graph);
        }
        if (ops == null) {
            throw new IllegalArgumentException("emulated device: no graph " + graph);
        }
        ops.forEach(Runnable::run);
    }

    @Override
    public synchronized void destroyGraph(long graph) {
        if (graphs.remove(graph) == null) {
            throw new IllegalArgumentException("emulated device: no graph " + graph);
        }
    }

    @Override
    public synchronized void close() {
        if (onednn != null) {
            onednn.close();
        }
        if (!blocks.isEmpty()) {
            throw new IllegalStateException("emulated device closed with " + blocks.size() + " blocks not freed");
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
