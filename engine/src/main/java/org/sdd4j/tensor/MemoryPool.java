package org.sdd4j.tensor;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caching allocator for activations: blocks freed at the end of a scope are kept by size class and
 * handed out again, so a steady stream of forward passes stops paying for fresh pages (page faults and
 * the kernel's zeroing) on every large tensor. Blocks come from the C allocator, 64-byte aligned, and
 * are not zeroed: {@link #take} callers that need zeros say so.
 *
 * <p>A request that finds no cached block of its class takes a cached block of a larger class, at most
 * twice its size, when there is one. Otherwise it allocates, first freeing the cached blocks no request has
 * wanted for {@link #IDLE_TAKES} requests: a pattern that repeats (one training step after another, scoring
 * clips of one length) finds its blocks cached after its first round and frees nothing, while blocks of
 * shapes that stop coming (clips of other lengths in a long-running service) do not pile up.
 *
 * <p>Caching by class costs memory: at the peak of a training step, blocks of classes the step wants
 * only at other times sit cached beside those in use (AASIST-L at batch 8: 5.2 GiB held for 3.5 GiB in
 * use). A <em>lean</em> pool ({@value #LEAN_PROPERTY}{@code =true}) frees cached blocks, least recently
 * returned first, before any allocation would take it above the most it has had in use, so it never holds
 * more than that peak; the price is that a step re-allocates (and the kernel zeroes) the blocks it freed:
 * AASIST-L's step then peaks at 3.8 instead of 5.2 GiB and takes 13-15 % longer on two cores
 * (benchmarks/RESULTS.md).
 *
 * <p>Thread-safe. {@link #trim()} returns cached blocks to the system; {@link #close()} trims and
 * refuses further use (blocks still taken are freed by the scopes that hold them).
 */
public final class MemoryPool implements AutoCloseable {
    private static final long ALIGN = 64;
    /**
     * A cached block no request has wanted for this many requests is freed at the next miss. A training step
     * of the largest models makes ~10^4 requests, so blocks a step reuses stay; blocks of shapes that stopped
     * coming (clips of another length) go.
     */
    static final long IDLE_TAKES = 1 << 16;
    /** System property that makes pools created without an explicit mode lean. */
    public static final String LEAN_PROPERTY = "sdd4j.memory.lean";
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

    /** Cached blocks per size class, most recently returned first; a class with none has no entry. */
    private final TreeMap<Long, ArrayDeque<MemorySegment>> free = new TreeMap<>();
    /** Block sizes of blocks handed out to a request of a smaller class, by address. */
    private final Map<Long, Long> oversized = new HashMap<>();
    /** Every cached block, least recently returned first, with the request count when it was returned. */
    private final LinkedHashMap<MemorySegment, Long> byAge = new LinkedHashMap<>();
    private long takes;
    private final boolean lean;
    private long cachedBytes;
    private long systemBytes;
    private long liveBytes;
    private long peakBytes;
    private long peakLiveBytes;
    private boolean closed;

    /** A pool in the mode {@value #LEAN_PROPERTY} names (caching by class unless it is {@code true}). */
    public MemoryPool() {
        this(Boolean.getBoolean(LEAN_PROPERTY));
    }

    /** @param lean never hold more than the peak in use (see the class comment) */
    public MemoryPool(boolean lean) {
        this.lean = lean;
    }

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
            takes++;
            Map.Entry<Long, ArrayDeque<MemorySegment>> e = free.ceilingEntry(size);
            if (e != null && e.getKey() <= 2 * size) {
                block = e.getValue().poll();
                if (e.getValue().isEmpty()) {
                    free.remove(e.getKey());
                }
                byAge.remove(block);
                cachedBytes -= block.byteSize();
                if (block.byteSize() != size) {
                    oversized.put(block.address(), block.byteSize());
                }
                liveBytes += block.byteSize();
            } else {
                block = null;
                if (lean) {
                    evictDownTo(Math.max(peakLiveBytes, liveBytes + size) - liveBytes - size);
                } else {
                    evictIdle();
                }
                systemBytes += size;
                liveBytes += size;
            }
            peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
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
        MemorySegment block;
        synchronized (this) {
            Long big = oversized.remove(segment.address());
            long size = big != null ? big : sizeClass(segment.byteSize());
            block = segment.reinterpret(size);
            liveBytes -= size;
            if (!closed) {
                free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(block);
                byAge.put(block, takes);
                cachedBytes += size;
                return;
            }
        }
        release(block);
    }

    /** Frees cached blocks, least recently returned first, until at most {@code keep} bytes stay cached. */
    private void evictDownTo(long keep) {
        for (var it = byAge.keySet().iterator(); it.hasNext() && cachedBytes > keep; ) {
            MemorySegment block = it.next();
            it.remove();
            forget(block);
        }
    }

    /** Frees the cached blocks that no request has taken for {@link #IDLE_TAKES} requests. */
    private void evictIdle() {
        for (var it = byAge.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<MemorySegment, Long> e = it.next();
            if (takes - e.getValue() <= IDLE_TAKES) {
                return;     // the rest were returned later
            }
            MemorySegment block = e.getKey();
            it.remove();
            forget(block);
        }
    }

    /** Frees a cached block already taken out of the age order. */
    private void forget(MemorySegment block) {
        // The oldest cached block overall is the oldest of its class: the tail of its queue.
        ArrayDeque<MemorySegment> q = free.get(block.byteSize());
        q.removeLast();
        if (q.isEmpty()) {
            free.remove(block.byteSize());
        }
        cachedBytes -= block.byteSize();
        release(block);
    }

    /** Frees every cached block. */
    public void trim() {
        Map<Long, ArrayDeque<MemorySegment>> drained;
        synchronized (this) {
            drained = new HashMap<>(free);
            free.clear();
            byAge.clear();
            cachedBytes = 0;
        }
        drained.values().forEach(q -> q.forEach(MemoryPool::release));
    }

    /** Bytes handed out and not yet returned. */
    public synchronized long liveBytes() {
        return liveBytes;
    }

    /** Bytes ever allocated from the system (blocks freed and allocated again count again). */
    public synchronized long systemBytes() {
        return systemBytes;
    }

    /** Bytes cached for reuse. */
    public synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** The most bytes held (live + cached) at any time. */
    public synchronized long peakBytes() {
        return peakBytes;
    }

    /**
     * The most bytes handed out at once. Above it, {@link #peakBytes()} counts cached blocks that no request of
     * their size class wanted at the time: the cost of caching by size class.
     */
    public synchronized long peakLiveBytes() {
        return peakLiveBytes;
    }

    /** The peaks and system allocations for a log line: "X MiB held, Y MiB in use, Z MiB allocated". */
    public synchronized String peaks() {
        return String.format(java.util.Locale.ROOT, "%.1f MiB held, %.1f MiB in use, %.1f MiB allocated",
                peakBytes / 1048576.0, peakLiveBytes / 1048576.0, systemBytes / 1048576.0);
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
