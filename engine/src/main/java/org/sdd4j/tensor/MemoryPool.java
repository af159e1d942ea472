package org.sdd4j.tensor;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching allocator for activations: blocks freed at the end of a scope are kept by size class and
 * handed out again, so a steady stream of forward passes stops paying for fresh pages (page faults and
 * the kernel's zeroing) on every large tensor. Blocks come from the C allocator, 64-byte aligned, and
 * are not zeroed: {@link #take} callers that need zeros say so.
 *
 * <p>Thread-safe. {@link #trim()} returns cached blocks to the system; {@link #close()} trims and
 * refuses further use (blocks still taken are freed by the scopes that hold them).
 */
public final class MemoryPool implements AutoCloseable {
    private static final long ALIGN = 64;
    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle FREE;

    static {
        Linker linker = Linker.nativeLinker();
        var lookup = linker.defaultLookup();
        ALIGNED_ALLOC = linker.downcallHandle(lookup.find("aligned_alloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        FREE = linker.downcallHandle(lookup.find("free").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    }

    private final Map<Long, ArrayDeque<MemorySegment>> free = new HashMap<>();
    private long cachedBytes;
    private long liveBytes;
    private long peakBytes;
    private boolean closed;

    /**
     * Size classes: multiples of 4 KiB up to 1 MiB, then steps of 1/8 of the power of two above, so a
     * block is at most 12.5 % larger than asked and shapes that vary a little still reuse blocks.
     */
    static long sizeClass(long bytes) {
        long b = Math.max(bytes, ALIGN);
        if (b <= (1 << 20)) {
            return (b + 4095) & ~4095L;
        }
        long step = Long.highestOneBit(b - 1) / 4;
        return (b + step - 1) / step * step;
    }

    /** A block of at least {@code bytes} bytes, zero-filled when {@code zero}. */
    public MemorySegment take(long bytes, boolean zero) {
        long size = sizeClass(bytes);
        MemorySegment block;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("memory pool is closed");
            }
            ArrayDeque<MemorySegment> q = free.get(size);
            block = q == null ? null : q.poll();
            if (block != null) {
                cachedBytes -= size;
            }
            liveBytes += size;
            peakBytes = Math.max(peakBytes, liveBytes + cachedBytes);
        }
        if (block == null) {
            block = allocate(size);
        }
        MemorySegment s = block.asSlice(0, bytes);
        if (zero) {
            s.fill((byte) 0);
        }
        return s;
    }

    /** Returns a block obtained from {@link #take} (the slice it gave, or the whole block). */
    public void give(MemorySegment segment) {
        long size = sizeClass(segment.byteSize());
        MemorySegment block = segment.reinterpret(size);
        synchronized (this) {
            liveBytes -= size;
            if (!closed) {
                free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(block);
                cachedBytes += size;
                return;
            }
        }
        release(block);
    }

    /** Frees every cached block. */
    public void trim() {
        Map<Long, ArrayDeque<MemorySegment>> drained;
        synchronized (this) {
            drained = new HashMap<>(free);
            free.clear();
            cachedBytes = 0;
        }
        drained.values().forEach(q -> q.forEach(MemoryPool::release));
    }

    /** Bytes handed out and not yet returned. */
    public synchronized long liveBytes() {
        return liveBytes;
    }

    /** Bytes cached for reuse. */
    public synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** The most bytes held (live + cached) at any time. */
    public synchronized long peakBytes() {
        return peakBytes;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        trim();
    }

    private static MemorySegment allocate(long size) {
        try {
            MemorySegment p = (MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGN, size);
            if (p.equals(MemorySegment.NULL)) {
                throw new OutOfMemoryError("native allocation of " + size + " bytes failed");
            }
            return p.reinterpret(size);
        } catch (OutOfMemoryError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc failed", t);
        }
    }

    private static void release(MemorySegment block) {
        try {
            FREE.invokeExact(block);
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
    }
}
