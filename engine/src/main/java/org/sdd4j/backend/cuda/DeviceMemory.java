package org.sdd4j.backend.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import org.sdd4j.nativelib.CudaException;
import org.sdd4j.nativelib.cuda.cuda_h;

/**
 * A caching allocator for device memory, the GPU counterpart of {@link org.sdd4j.tensor.MemoryPool}:
 * {@code cuMemAlloc}/{@code cuMemFree} synchronise the device and cost tens of microseconds, so blocks given
 * back are kept, by size, and handed out again. Sizes are rounded up to 512 bytes below 1 MiB and to 2 MiB
 * above, and a request takes a cached block of at most twice its rounded size. When the device runs out of
 * memory the cache is freed and the allocation retried once.
 *
 * <p>Blocks are reused in stream order: a block given back while kernels on the (single) stream still use
 * it can be handed out only to work queued after them on the same stream.
 */
public final class DeviceMemory implements AutoCloseable {
    private static final long SMALL = 1L << 20;

    private final GpuRuntime runtime;
    /** Blocks of exactly the size asked, reused only at that size ({@link GpuRuntime#exactBlocks}). */
    private final boolean exact;
    private final TreeMap<Long, ArrayDeque<Long>> free = new TreeMap<>();
    private final Map<Long, Long> sizes = new HashMap<>();
    private long cachedBytes;
    private long liveBytes;
    private long peakBytes;
    private long peakLiveBytes;
    private boolean closed;
    /** Blocks handed out since {@link #beginReservation}, or null when none is under way. */
    private java.util.Set<Long> reserving;

    DeviceMemory(GpuRuntime runtime) {
        this.runtime = runtime;
        this.exact = runtime.exactBlocks();
    }

    /** Block size for a request: 512-byte steps below 1 MiB, 2 MiB steps above. */
    static long rounded(long bytes) {
        long step = bytes < SMALL ? 512 : 2L << 20;
        return Math.max(step, (bytes + step - 1) / step * step);
    }

    /** A block of at least {@code bytes}, from the cache when one fits. */
    public synchronized DeviceBuffer take(long bytes) {
        long request = exact ? (Math.max(bytes, 4) + 3) & ~3L : rounded(bytes);
        Map.Entry<Long, ArrayDeque<Long>> e = free.ceilingEntry(request);
        long address, size;
        if (e != null && (exact ? e.getKey() == request : e.getKey() <= 2 * request)) {
            size = e.getKey();
            address = e.getValue().pop();
            if (e.getValue().isEmpty()) {
                free.remove(size);
            }
            cachedBytes -= size;
        } else {
            size = request;
            address = allocate(size);
            sizes.put(address, size);
        }
        liveBytes += size;
        peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
        peakBytes = Math.max(peakBytes, liveBytes + cachedBytes);
        if (reserving != null) {
            reserving.add(address);
        }
        return new DeviceBuffer(address, size);
    }

    /** A fresh block from the driver; when the device is full, the cache is freed and the allocation retried once. */
    private long allocate(long size) {
        try {
            return runtime.allocate(size);
        } catch (CudaException oom) {
            if (oom.code() != cuda_h.CUDA_ERROR_OUT_OF_MEMORY()) {
                throw oom;
            }
            releaseCache();
            return runtime.allocate(size);
        }
    }

    /**
     * Returns a block to the cache. After {@link #close} it does nothing: close freed every block, and a
     * tensor whose arena outlives its backend gives its block back then.
     */
    public synchronized void give(DeviceBuffer block) {
        if (closed) {
            return;
        }
        Long size = sizes.get(block.address());
        if (size == null || size != block.bytes()) {
            throw new IllegalArgumentException("device block " + Long.toHexString(block.address())
                    + " was not handed out by this allocator");
        }
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(block.address());
        cachedBytes += size;
        liveBytes -= size;
    }

    /**
     * Starts recording the blocks handed out: work captured into a graph meanwhile writes them again on every
     * replay, so they must not go to anyone else while the graph lives.
     */
    public synchronized void beginReservation() {
        if (reserving != null) {
            throw new IllegalStateException("a reservation is already under way");
        }
        reserving = new java.util.HashSet<>();
    }

    /**
     * Ends the reservation: the blocks handed out since {@link #beginReservation} that have come back to the
     * cache are withdrawn from it and returned (counted as handed out); give them back when the graph is gone.
     * Blocks still held stay with their holders, who must keep them as long as the graph.
     */
    public synchronized java.util.List<DeviceBuffer> endReservation() {
        java.util.List<DeviceBuffer> withdrawn = new java.util.ArrayList<>();
        for (long address : reserving) {
            Long size = sizes.get(address);
            ArrayDeque<Long> q = size == null ? null : free.get(size);
            if (q != null && q.remove(address)) {
                if (q.isEmpty()) {
                    free.remove(size);
                }
                cachedBytes -= size;
                liveBytes += size;
                withdrawn.add(new DeviceBuffer(address, size));
            }
        }
        reserving = null;
        return withdrawn;
    }

    /** Returns the block handed out at {@code address} (see {@link #give(DeviceBuffer)}). */
    public synchronized void give(long address) {
        if (closed) {
            return;
        }
        Long size = sizes.get(address);
        if (size == null) {
            throw new IllegalArgumentException("device block " + Long.toHexString(address)
                    + " was not handed out by this allocator");
        }
        give(new DeviceBuffer(address, size));
    }

    /** Bytes handed out and not yet given back. */
    public synchronized long liveBytes() {
        return liveBytes;
    }

    /** Bytes held in the cache for reuse. */
    public synchronized long cachedBytes() {
        return cachedBytes;
    }

    /**
     * The most device memory held (handed out and cached) and handed out at once, for a log line: "X MiB held,
     * Y MiB in use".
     */
    public synchronized String peaks() {
        return String.format(java.util.Locale.ROOT, "%.1f MiB held, %.1f MiB in use (device)", peakBytes / 1048576.0,
                peakLiveBytes / 1048576.0);
    }

    /** Frees every cached block back to the driver. */
    public synchronized void releaseCache() {
        runtime.synchronize();
        for (ArrayDeque<Long> blocks : free.values()) {
            for (long address : blocks) {
                runtime.free(address);
                sizes.remove(address);
            }
        }
        free.clear();
        cachedBytes = 0;
    }

    /** Frees the cache; blocks still handed out are freed too (their owners must be done with them). */
    @Override
    public synchronized void close() {
        releaseCache();
        for (long address : sizes.keySet()) {
            runtime.free(address);
        }
        sizes.clear();
        liveBytes = 0;
        closed = true;
    }
}
