package org.sdd4j.backend.cpu.dnnl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.sdd4j.nativelib.dnnl.dnnl_h.*;

/**
 * A float32 batched matmul built once for one {@link MatmulShape} and executed on caller-owned buffers.
 * A transposed B is described to oneDNN through strides, so it is read in place, never transposed.
 */
public final class MatmulPrimitive extends DnnlPrimitive {
    private final MatmulShape shape;

    public MatmulPrimitive(OneDnn oneDnn, MatmulShape shape) {
        this(oneDnn, shape, Arena.ofConfined());
    }

    private MatmulPrimitive(OneDnn oneDnn, MatmulShape shape, Arena arena) {
        this(oneDnn, shape, arena, descs(arena, shape));
    }

    private MatmulPrimitive(OneDnn oneDnn, MatmulShape shape, Arena arena, MemorySegment[] descs) {
        super(oneDnn, primitiveDesc(oneDnn, arena, shape, descs), argKinds(shape), descs, "matmul");
        for (MemorySegment d : descs) {
            MemoryDescs.destroy(d);
        }
        arena.close();
        this.shape = shape;
    }

    public MatmulShape shape() {
        return shape;
    }

    /**
     * c = a x op(b) + bias.
     *
     * @param bias N floats, or null exactly when the shape has no bias
     */
    public void execute(MemorySegment a, MemorySegment b, MemorySegment bias, MemorySegment c) {
        MemoryDescs.requireFloats(a, shape.aFloats(), "matmul A");
        MemoryDescs.requireFloats(b, shape.bFloats(), "matmul B");
        MemoryDescs.requireFloats(c, shape.cFloats(), "matmul C");
        if (shape.bias()) {
            MemoryDescs.requireFloats(bias, shape.n(), "matmul bias");
            run(a, b, bias, c);
        } else {
            if (bias != null) {
                throw new IllegalArgumentException("matmul bias given, but the shape has bias=false");
            }
            run(a, b, c);
        }
    }

    /** Descriptors in argument order: src, weights, [bias,] dst. */
    private static MemorySegment[] descs(Arena arena, MatmulShape s) {
        long batchB = s.sharedB() ? 1 : s.batch();
        MemorySegment a = MemoryDescs.withTag(arena, dnnl_abc(), s.batch(), s.m(), s.k());
        // Logical B is batchB x K x N; stored transposed (N x K per batch) it has strides (N*K, 1, K).
        long[] bStrides = s.transposeB()
                ? new long[] {(long) s.n() * s.k(), 1, s.k()}
                : new long[] {(long) s.k() * s.n(), s.n(), 1};
        MemorySegment b = MemoryDescs.withStrides(arena, new long[] {batchB, s.k(), s.n()}, bStrides);
        MemorySegment c = MemoryDescs.withTag(arena, dnnl_abc(), s.batch(), s.m(), s.n());
        if (!s.bias()) {
            return new MemorySegment[] {a, b, c};
        }
        MemorySegment bias = MemoryDescs.withTag(arena, dnnl_abc(), 1, 1, s.n());
        return new MemorySegment[] {a, b, bias, c};
    }

    private static MemorySegment primitiveDesc(OneDnn oneDnn, Arena arena, MatmulShape s, MemorySegment[] d) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int status = dnnl_matmul_primitive_desc_create(out, oneDnn.engine(), d[0], d[1],
                s.bias() ? d[2] : MemorySegment.NULL, d[d.length - 1], MemorySegment.NULL);
        if (status != dnnl_success()) {
            for (MemorySegment desc : d) {
                MemoryDescs.destroy(desc);
            }
            arena.close();
            throw new DnnlException("matmul_primitive_desc_create for " + s, status);
        }
        return out.get(ValueLayout.ADDRESS, 0);
    }

    private static int[] argKinds(MatmulShape s) {
        return s.bias()
                ? new int[] {DNNL_ARG_SRC(), DNNL_ARG_WEIGHTS(), DNNL_ARG_BIAS(), DNNL_ARG_DST()}
                : new int[] {DNNL_ARG_SRC(), DNNL_ARG_WEIGHTS(), DNNL_ARG_DST()};
    }
}
