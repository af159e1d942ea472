package org.sdd4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

import org.sdd4j.nativelib.CudaException;
import org.sdd4j.nativelib.cublaslt.cublasLtMatmulHeuristicResult_t;
import org.sdd4j.nativelib.cublaslt.cublasLt_h;

/**
 * Row-major float32 matrix products on cuBLASLt: {@code C[q] = op(A[q]) op(B[q]) + beta C[q]} over a strided
 * batch, optionally plus a bias per column of C (cuBLASLt's bias epilogue, fused into the product).
 *
 * <p>cuBLASLt is column-major. A row-major {@code M x N} matrix is the column-major {@code N x M} matrix of
 * the same bytes, so the row-major product {@code C = op(A) op(B)} is computed as the column-major
 * {@code C^T = op(B)^T op(A)^T}: B's buffer is cuBLASLt's first operand, A's the second, and a bias per
 * row-major column is the epilogue's bias per column-major row.
 *
 * <p>Descriptors, layouts and the heuristic's algorithm are built once per shape and cached: the model runs
 * the same few dozen shapes on every forward pass. The operands' alignment is part of the shape: cuBLASLt's
 * heuristic assumes 256-byte aligned buffers unless told otherwise, and an algorithm picked under that
 * assumption fails on a view that starts mid-block (a parameter at a 64-byte offset in its block, one batch item
 * of a convolution), so each plan states the alignment its pointers and batch strides really have. Not thread-safe; the backend calls it from one thread
 * at a time on its one stream.
 */
final class Gemm implements AutoCloseable {
    /** Workspace cuBLASLt may use for split-K and similar algorithms. */
    private static final long WORKSPACE = 32L << 20;

    private record Shape(boolean transA, boolean transB, int m, int n, int k, long strideA, long strideB,
                         long strideC, int batch, boolean bias, int alignA, int alignB, int alignC) {
    }

    /**
     * The alignment, in bytes up to 256, that every batch item's pointer has: the largest power of two dividing
     * the address and, for a batch, the stride between items.
     */
    static int alignment(long address, long strideFloats, int batch) {
        long bits = address | (batch > 1 ? 4 * strideFloats : 0);
        return bits == 0 ? 256 : (int) Math.min(256, Long.lowestOneBit(bits));
    }

    private record Plan(MemorySegment desc, MemorySegment layoutB, MemorySegment layoutA, MemorySegment layoutC,
                        MemorySegment algo) {
    }

    private final CudaContext context;
    private final MatmulPrecision precision;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment handle;
    private final long workspace;
    private final MemorySegment alpha, beta0, beta1, biasPointer;
    private final Map<Shape, Plan> plans = new HashMap<>();

    /**
     * @param precision what products may round their inputs to on tensor cores (TF32, bfloat16: several times
     *                  faster on Ampere and Hopper, relative errors ~1e-3 and ~1e-2 instead of float32's ~1e-6);
     *                  inputs, outputs and accumulation stay float32 (cuBLASLt's FAST compute types)
     */
    Gemm(CudaContext context, MatmulPrecision precision) {
        this.context = context;
        this.precision = precision;
        context.makeCurrent();
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        check(cublasLt_h.cublasLtCreate(out), "cublasLtCreate");
        this.handle = out.get(ValueLayout.ADDRESS, 0);
        this.workspace = context.allocate(WORKSPACE);
        this.alpha = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        this.beta0 = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
        this.beta1 = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        this.biasPointer = arena.allocate(ValueLayout.JAVA_LONG);
    }

    MatmulPrecision precision() {
        return precision;
    }

    /**
     * Row-major {@code C[q] = op(A[q]) @ op(B[q]) (+ bias) (+ C[q] when accumulate)} for q < batch, where
     * op(A) is {@code M x K} (A stored {@code K x M} when transA) and op(B) is {@code K x N} (B stored
     * {@code N x K} when transB); strides are in floats between batch entries. {@code bias} (device
     * address, 0 for none) has N floats.
     */
    void matmul(boolean transA, boolean transB, int m, int n, int k, long a, long strideA, long b, long strideB,
                long c, long strideC, int batch, boolean accumulate, long bias) {
        if (m == 0 || n == 0) {
            return;
        }
        Shape shape = new Shape(transA, transB, m, n, k, strideA, strideB, strideC, batch, bias != 0,
                alignment(a, strideA, batch), alignment(b, strideB, batch), alignment(c, strideC, batch));
        Plan plan = plans.computeIfAbsent(shape, this::plan);
        context.makeCurrent();
        if (bias != 0) {
            biasPointer.set(ValueLayout.JAVA_LONG, 0, bias);
            check(cublasLt_h.cublasLtMatmulDescSetAttribute(plan.desc, cublasLt_h.CUBLASLT_MATMUL_DESC_BIAS_POINTER(),
                    biasPointer, 8), "cublasLtMatmulDescSetAttribute(BIAS_POINTER)");
        }
        MemorySegment cSeg = MemorySegment.ofAddress(c);
        check(cublasLt_h.cublasLtMatmul(handle, plan.desc, alpha, MemorySegment.ofAddress(b), plan.layoutB,
                MemorySegment.ofAddress(a), plan.layoutA, accumulate ? beta1 : beta0, cSeg, plan.layoutC, cSeg,
                plan.layoutC, plan.algo, MemorySegment.ofAddress(workspace), WORKSPACE, context.stream()),
                "cublasLtMatmul(" + shape + ")");
    }

    private Plan plan(Shape s) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int compute = switch (precision) {
            case FLOAT32 -> cublasLt_h.CUBLAS_COMPUTE_32F();
            case TF32 -> cublasLt_h.CUBLAS_COMPUTE_32F_FAST_TF32();
            case BF16 -> cublasLt_h.CUBLAS_COMPUTE_32F_FAST_16BF();
        };
        check(cublasLt_h.cublasLtMatmulDescCreate(out, compute, cublasLt_h.CUDA_R_32F()), "cublasLtMatmulDescCreate");
        MemorySegment desc = out.get(ValueLayout.ADDRESS, 0);
        // Column-major view: first operand = row-major B (N x K as seen), second = row-major A.
        setInt(desc, cublasLt_h.CUBLASLT_MATMUL_DESC_TRANSA(), s.transB ? cublasLt_h.CUBLAS_OP_T() : cublasLt_h.CUBLAS_OP_N());
        setInt(desc, cublasLt_h.CUBLASLT_MATMUL_DESC_TRANSB(), s.transA ? cublasLt_h.CUBLAS_OP_T() : cublasLt_h.CUBLAS_OP_N());
        setInt(desc, cublasLt_h.CUBLASLT_MATMUL_DESC_EPILOGUE(),
                s.bias ? cublasLt_h.CUBLASLT_EPILOGUE_BIAS() : cublasLt_h.CUBLASLT_EPILOGUE_DEFAULT());
        MemorySegment layoutB = s.transB ? layout(s.k, s.n, s.k, s) : layout(s.n, s.k, s.n, s);
        MemorySegment layoutA = s.transA ? layout(s.m, s.k, s.m, s) : layout(s.k, s.m, s.k, s);
        MemorySegment layoutC = layout(s.n, s.m, s.n, s);
        batch(layoutB, s.batch, s.strideB);
        batch(layoutA, s.batch, s.strideA);
        batch(layoutC, s.batch, s.strideC);

        check(cublasLt_h.cublasLtMatmulPreferenceCreate(out), "cublasLtMatmulPreferenceCreate");
        MemorySegment pref = out.get(ValueLayout.ADDRESS, 0);
        MemorySegment ws = arena.allocateFrom(ValueLayout.JAVA_LONG, WORKSPACE);
        check(cublasLt_h.cublasLtMatmulPreferenceSetAttribute(pref, cublasLt_h.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES(),
                ws, 8), "cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)");
        // Column-major view again: cuBLASLt's A is row-major B's buffer, its B row-major A's; C and D are C.
        prefer(pref, cublasLt_h.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES(), s.alignB);
        prefer(pref, cublasLt_h.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES(), s.alignA);
        prefer(pref, cublasLt_h.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES(), s.alignC);
        prefer(pref, cublasLt_h.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES(), s.alignC);
        MemorySegment result = arena.allocate(cublasLtMatmulHeuristicResult_t.layout());
        MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
        check(cublasLt_h.cublasLtMatmulAlgoGetHeuristic(handle, desc, layoutB, layoutA, layoutC, layoutC, pref, 1, result,
                count), "cublasLtMatmulAlgoGetHeuristic(" + s + ")");
        check(cublasLt_h.cublasLtMatmulPreferenceDestroy(pref), "cublasLtMatmulPreferenceDestroy");
        if (count.get(ValueLayout.JAVA_INT, 0) == 0) {
            throw new CudaException("cuBLASLt has no algorithm for " + s, cublasLt_h.CUBLAS_STATUS_NOT_SUPPORTED());
        }
        return new Plan(desc, layoutB, layoutA, layoutC, cublasLtMatmulHeuristicResult_t.algo(result));
    }

    private MemorySegment layout(long rows, long cols, long ld, Shape s) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        check(cublasLt_h.cublasLtMatrixLayoutCreate(out, cublasLt_h.CUDA_R_32F(), rows, cols, ld),
                "cublasLtMatrixLayoutCreate(" + rows + " x " + cols + ", " + s + ")");
        return out.get(ValueLayout.ADDRESS, 0);
    }

    private void batch(MemorySegment layout, int count, long stride) {
        if (count <= 1) {
            return;
        }
        check(cublasLt_h.cublasLtMatrixLayoutSetAttribute(layout, cublasLt_h.CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT(),
                arena.allocateFrom(ValueLayout.JAVA_INT, count), 4), "cublasLtMatrixLayoutSetAttribute(BATCH_COUNT)");
        check(cublasLt_h.cublasLtMatrixLayoutSetAttribute(layout,
                cublasLt_h.CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET(), arena.allocateFrom(ValueLayout.JAVA_LONG, stride),
                8), "cublasLtMatrixLayoutSetAttribute(STRIDED_BATCH_OFFSET)");
    }

    private void prefer(MemorySegment pref, int attribute, int bytes) {
        check(cublasLt_h.cublasLtMatmulPreferenceSetAttribute(pref, attribute,
                arena.allocateFrom(ValueLayout.JAVA_INT, bytes), 4), "cublasLtMatmulPreferenceSetAttribute(" + attribute
                + ", " + bytes + " bytes)");
    }

    private void setInt(MemorySegment desc, int attribute, int value) {
        check(cublasLt_h.cublasLtMatmulDescSetAttribute(desc, attribute, arena.allocateFrom(ValueLayout.JAVA_INT, value),
                4), "cublasLtMatmulDescSetAttribute(" + attribute + ")");
    }

    /** Throws unless {@code status} is CUBLAS_STATUS_SUCCESS, naming the call and cuBLASLt's status. */
    static void check(int status, String call) {
        if (status != cublasLt_h.CUBLAS_STATUS_SUCCESS()) {
            String name = cublasLt_h.cublasLtGetStatusName(status).reinterpret(128).getString(0);
            throw new CudaException(call + " failed: " + name + " (" + status + ")", status);
        }
    }

    @Override
    public void close() {
        context.makeCurrent();
        context.synchronize();
        for (Plan p : plans.values()) {
            cublasLt_h.cublasLtMatrixLayoutDestroy(p.layoutA);
            cublasLt_h.cublasLtMatrixLayoutDestroy(p.layoutB);
            cublasLt_h.cublasLtMatrixLayoutDestroy(p.layoutC);
            cublasLt_h.cublasLtMatmulDescDestroy(p.desc);
        }
        plans.clear();
        cublasLt_h.cublasLtDestroy(handle);
        context.free(workspace);
        arena.close();
    }
}
