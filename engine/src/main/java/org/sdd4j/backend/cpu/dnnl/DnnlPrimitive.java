package org.sdd4j.backend.cpu.dnnl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.sdd4j.nativelib.dnnl.dnnl_exec_arg_t;

import static org.sdd4j.nativelib.dnnl.dnnl_h.*;

/**
 * A built oneDNN primitive with one memory object per argument. The memory objects hold no data of their
 * own: each execution points them at the caller's segments, so nothing is copied.
 */
abstract sealed class DnnlPrimitive implements AutoCloseable permits ConvolutionPrimitive, MatmulPrimitive {
    private final OneDnn oneDnn;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment primitive;
    private final MemorySegment[] memories;
    private final MemorySegment args;
    private boolean closed;

    /**
     * Takes ownership of {@code primitiveDesc} (destroyed here, the primitive keeps what it needs) and
     * creates a memory object per argument from {@code descs} (not destroyed here).
     */
    DnnlPrimitive(OneDnn oneDnn, MemorySegment primitiveDesc, int[] argKinds, MemorySegment[] descs, String what) {
        this.oneDnn = oneDnn;
        try {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            DnnlException.check(dnnl_primitive_create(out, primitiveDesc), what + " primitive_create");
            primitive = out.get(ValueLayout.ADDRESS, 0);
            memories = new MemorySegment[argKinds.length];
            args = dnnl_exec_arg_t.allocateArray(argKinds.length, arena);
            for (int i = 0; i < argKinds.length; i++) {
                memories[i] = MemoryDescs.memory(arena, descs[i], oneDnn.engine());
                MemorySegment arg = dnnl_exec_arg_t.asSlice(args, i);
                dnnl_exec_arg_t.arg(arg, argKinds[i]);
                dnnl_exec_arg_t.memory(arg, memories[i]);
            }
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        } finally {
            dnnl_primitive_desc_destroy(primitiveDesc);
        }
    }

    /** Points each argument at {@code buffers[i]} (already checked by the subclass) and executes. */
    final void run(MemorySegment... buffers) {
        if (closed) {
            throw new IllegalStateException("this oneDNN primitive is closed");
        }
        oneDnn.ensureOpen();
        for (int i = 0; i < memories.length; i++) {
            DnnlException.check(dnnl_memory_set_data_handle(memories[i], buffers[i]), "memory_set_data_handle");
        }
        oneDnn.applyThreads();
        DnnlException.check(dnnl_primitive_execute(primitive, oneDnn.stream(), memories.length, args),
                "primitive_execute");
        DnnlException.check(dnnl_stream_wait(oneDnn.stream()), "stream_wait");
    }

    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (MemorySegment m : memories) {
            dnnl_memory_destroy(m);
        }
        dnnl_primitive_destroy(primitive);
        arena.close();
    }
}
