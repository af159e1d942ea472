package org.sdd4j.backend.cpu.dnnl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

import org.sdd4j.nativelib.LoadedLibrary;
import org.sdd4j.nativelib.NativeLibraries;
import org.sdd4j.nativelib.NativeLibraryException;
import org.sdd4j.nativelib.gomp.gomp_h;

import static org.sdd4j.nativelib.dnnl.dnnl_h.*;

/**
 * A oneDNN CPU engine and stream: the entry point of sdd4j's fast CPU math.
 *
 * <p>All calls work in float32 on caller-owned native {@link MemorySegment}s, without copies. Not
 * thread-safe: use one {@code OneDnn} per thread (oneDNN parallelises each call internally with
 * OpenMP, over {@link #threads()} threads).
 *
 * <p>Convolution and matmul primitives are built once per shape and cached (least recently used
 * first out), so repeated calls with the same shapes only set data pointers and execute.
 */
public final class OneDnn implements AutoCloseable {
    /** Primitives kept per kind; a model has few distinct shapes per utterance length. */
    private static final int CACHE_CAPACITY = 64;

    private final Arena arena = Arena.ofShared();
    private final LoadedLibrary library;
    private final MemorySegment engine;
    private final MemorySegment stream;
    private final int threads;
    private final Map<ConvolutionShape, ConvolutionPrimitive> convolutions = lruCache();
    private final Map<MatmulShape, MatmulPrimitive> matmuls = lruCache();
    private boolean closed;

    private OneDnn(LoadedLibrary library, int threads) {
        this.library = library;
        this.threads = threads;
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        DnnlException.check(dnnl_engine_create(out, dnnl_cpu(), 0), "engine_create");
        engine = out.get(ValueLayout.ADDRESS, 0);
        int status = dnnl_stream_create(out, engine, dnnl_stream_default_flags());
        if (status != dnnl_success()) {
            dnnl_engine_destroy(engine);
            arena.close();
            throw new DnnlException("stream_create", status);
        }
        stream = out.get(ValueLayout.ADDRESS, 0);
    }

    /**
     * Loads oneDNN if needed (see {@link NativeLibraries#dnnl()}) and creates a CPU engine and stream.
     *
     * @param threads OpenMP threads per call (the user's {@code --threads}); 0 keeps OpenMP's default
     *                ({@code OMP_NUM_THREADS}, else all cores)
     * @throws NativeLibraryException if oneDNN (or, for {@code threads > 0}, its OpenMP runtime) is missing
     */
    public static OneDnn create(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0 = OpenMP default), got " + threads);
        }
        LoadedLibrary library = NativeLibraries.dnnl();
        if (threads > 0 && library.dependencies().stream()
                .noneMatch(p -> p.getFileName().toString().startsWith("libgomp"))) {
            throw new NativeLibraryException("cannot set the thread count: oneDNN at " + library.path()
                    + " was loaded without a libgomp.so.1 sdd4j could find (beside it or in the library path)."
                    + " Use the org.bytedeco:dnnl jar's oneDNN, or set OMP_NUM_THREADS instead of --threads.");
        }
        return new OneDnn(library, threads);
    }

    /** The loaded oneDNN library: path, how it was found, version. */
    public LoadedLibrary library() {
        return library;
    }

    /** OpenMP threads per call; 0 means OpenMP's default. */
    public int threads() {
        return threads;
    }

    /** The instruction set oneDNN dispatches to on this CPU, e.g. {@code avx512_core}. */
    public static String effectiveIsa() {
        NativeLibraries.dnnl();
        int isa = dnnl_get_effective_cpu_isa();
        if (isa == dnnl_cpu_isa_avx10_1_512_amx_fp16()) return "avx10_1_512_amx_fp16";
        if (isa == dnnl_cpu_isa_avx10_1_512_amx()) return "avx10_1_512_amx";
        if (isa == dnnl_cpu_isa_avx10_1_512()) return "avx10_1_512";
        if (isa == dnnl_cpu_isa_avx512_core_bf16()) return "avx512_core_bf16";
        if (isa == dnnl_cpu_isa_avx512_core_vnni()) return "avx512_core_vnni";
        if (isa == dnnl_cpu_isa_avx512_core()) return "avx512_core";
        if (isa == dnnl_cpu_isa_avx2_vnni_2()) return "avx2_vnni_2";
        if (isa == dnnl_cpu_isa_avx2_vnni()) return "avx2_vnni";
        if (isa == dnnl_cpu_isa_avx2()) return "avx2";
        if (isa == dnnl_cpu_isa_avx()) return "avx";
        if (isa == dnnl_cpu_isa_sse41()) return "sse41";
        return "isa 0x" + Integer.toHexString(isa);
    }

    /**
     * Row-major single-precision GEMM, as {@code dnnl_sgemm}:
     * {@code C = alpha * op(A) * op(B) + beta * C}, with {@code op(A)} M x K, {@code op(B)} K x N and
     * C M x N; {@code op(X)} is X or its transpose. Leading dimensions are in elements.
     */
    public void sgemm(boolean transA, boolean transB, int M, int N, int K, float alpha, MemorySegment A, int lda,
                      MemorySegment B, int ldb, float beta, MemorySegment C, int ldc) {
        ensureOpen();
        if (M < 0 || N < 0 || K < 0) {
            throw new IllegalArgumentException("sgemm dimensions must be >= 0, got M=" + M + " N=" + N + " K=" + K);
        }
        requireMatrix(A, "A", transA ? K : M, transA ? M : K, lda);
        requireMatrix(B, "B", transB ? N : K, transB ? K : N, ldb);
        requireMatrix(C, "C", M, N, ldc);
        applyThreads();
        DnnlException.check(dnnl_sgemm((byte) (transA ? 'T' : 'N'), (byte) (transB ? 'T' : 'N'), M, N, K, alpha,
                A, lda, B, ldb, beta, C, ldc), "sgemm");
    }

    /**
     * Runs a forward convolution with a cached primitive for {@code shape}. Layouts are PyTorch's:
     * src N x C x spatial, weights O x C/groups x kernel, bias O (or null when the shape has none),
     * dst N x O x output spatial.
     */
    public void convolution(ConvolutionShape shape, MemorySegment src, MemorySegment weights, MemorySegment bias,
                            MemorySegment dst) {
        ensureOpen();
        ConvolutionPrimitive primitive = convolutions.get(shape);
        if (primitive == null) {
            primitive = new ConvolutionPrimitive(this, shape);
            convolutions.put(shape, primitive);
        }
        primitive.execute(src, weights, bias, dst);
    }

    /** Runs a batched matmul with a cached primitive for {@code shape} (see {@link MatmulPrimitive#execute}). */
    public void matmul(MatmulShape shape, MemorySegment a, MemorySegment b, MemorySegment bias, MemorySegment c) {
        ensureOpen();
        MatmulPrimitive primitive = matmuls.get(shape);
        if (primitive == null) {
            primitive = new MatmulPrimitive(this, shape);
            matmuls.put(shape, primitive);
        }
        primitive.execute(a, b, bias, c);
    }

    /** Destroys the cached primitives, the stream and the engine. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        convolutions.values().forEach(ConvolutionPrimitive::close);
        convolutions.clear();
        matmuls.values().forEach(MatmulPrimitive::close);
        matmuls.clear();
        dnnl_stream_destroy(stream);
        dnnl_engine_destroy(engine);
        arena.close();
    }

    MemorySegment engine() {
        return engine;
    }

    MemorySegment stream() {
        return stream;
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this OneDnn is closed");
        }
    }

    /**
     * OpenMP's thread count is a per-calling-thread setting, so it is applied before every call: a
     * OneDnn used from a different thread than the one that created it still honours {@code --threads}.
     */
    void applyThreads() {
        if (threads > 0) {
            gomp_h.omp_set_num_threads(threads);
        }
    }

    private static void requireMatrix(MemorySegment m, String name, int rows, int cols, int ld) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("sgemm: leading dimension of " + name + " is " + ld
                    + ", must be >= max(1, " + cols + ") (its row length)");
        }
        long floats = rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * ld + cols;
        MemoryDescs.requireFloats(m, floats, "sgemm " + name + " (" + rows + " x " + cols + ", ld " + ld + ")");
    }

    private static <K, V extends AutoCloseable> Map<K, V> lruCache() {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                if (size() <= CACHE_CAPACITY) {
                    return false;
                }
                try {
                    eldest.getValue().close();
                } catch (Exception e) {
                    throw new IllegalStateException("could not release a cached oneDNN primitive", e);
                }
                return true;
            }
        };
    }
}
