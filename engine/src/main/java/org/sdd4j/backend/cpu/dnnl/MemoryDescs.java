package org.sdd4j.backend.cpu.dnnl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.sdd4j.nativelib.dnnl.dnnl_h.*;

/** Small helpers for oneDNN's C structures: dims arrays, memory descriptors and memory objects. */
final class MemoryDescs {
    private MemoryDescs() {
    }

    /** A {@code dnnl_dims_t} (int64[DNNL_MAX_NDIMS]) holding {@code values}. */
    static MemorySegment dims(Arena arena, long... values) {
        MemorySegment dims = arena.allocate(ValueLayout.JAVA_LONG, DNNL_MAX_NDIMS());
        for (int i = 0; i < values.length; i++) {
            dims.setAtIndex(ValueLayout.JAVA_LONG, i, values[i]);
        }
        return dims;
    }

    /** A float32 memory descriptor with a plain format tag; the caller destroys it. */
    static MemorySegment withTag(Arena arena, int tag, long... shape) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        DnnlException.check(dnnl_memory_desc_create_with_tag(out, shape.length, dims(arena, shape), dnnl_f32(), tag),
                "memory_desc_create_with_tag");
        return out.get(ValueLayout.ADDRESS, 0);
    }

    /** A float32 memory descriptor with explicit element strides; the caller destroys it. */
    static MemorySegment withStrides(Arena arena, long[] shape, long[] strides) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        DnnlException.check(dnnl_memory_desc_create_with_strides(out, shape.length, dims(arena, shape), dnnl_f32(),
                dims(arena, strides)), "memory_desc_create_with_strides");
        return out.get(ValueLayout.ADDRESS, 0);
    }

    /** A memory object without data (the handle is set per execution); the caller destroys it. */
    static MemorySegment memory(Arena arena, MemorySegment desc, MemorySegment engine) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        DnnlException.check(dnnl_memory_create(out, desc, engine, MemorySegment.NULL), "memory_create");
        return out.get(ValueLayout.ADDRESS, 0);
    }

    static void destroy(MemorySegment desc) {
        if (desc != null && !desc.equals(MemorySegment.NULL)) {
            dnnl_memory_desc_destroy(desc);
        }
    }

    /** Checks that a caller's buffer is native memory holding at least {@code floats} float32 values. */
    static void requireFloats(MemorySegment segment, long floats, String what) {
        if (segment == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (!segment.isNative()) {
            throw new IllegalArgumentException(what + " must be native (off-heap) memory, got a heap segment");
        }
        if (segment.byteSize() < floats * Float.BYTES) {
            throw new IllegalArgumentException(what + " holds " + segment.byteSize() + " bytes, needs "
                    + floats * Float.BYTES + " (" + floats + " floats)");
        }
    }
}
