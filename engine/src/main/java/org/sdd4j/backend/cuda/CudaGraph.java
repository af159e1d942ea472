package org.sdd4j.backend.cuda;

import java.util.List;

/**
 * GPU work recorded once by {@link CudaBackend#capture} and replayed with one launch: the kernels, copies and
 * products of a whole forward pass go to the GPU together instead of one host call each, which is what bounds
 * batch-1 latency. Every replay reads and writes the same device addresses as the recording, so the graph owns
 * the blocks its work reused (withdrawn from the allocator's cache) until it is closed; inputs are changed by
 * writing into the recorded input tensor before {@link #launch}.
 */
public final class CudaGraph implements AutoCloseable {
    private final GpuRuntime gpu;
    private final DeviceMemory memory;
    private final long handle;
    private final List<DeviceBuffer> reserved;
    private boolean closed;

    CudaGraph(GpuRuntime gpu, DeviceMemory memory, long handle, List<DeviceBuffer> reserved) {
        this.gpu = gpu;
        this.memory = memory;
        this.handle = handle;
        this.reserved = reserved;
    }

    /** Queues one replay on the backend's stream (copies to the host wait for it, as for any work). */
    public synchronized void launch() {
        if (closed) {
            throw new IllegalStateException("the CUDA graph is closed");
        }
        gpu.launchGraph(handle);
    }

    /** Bytes of device memory the graph holds beyond what its caller's tensors hold. */
    public long reservedBytes() {
        return reserved.stream().mapToLong(DeviceBuffer::bytes).sum();
    }

    /** Waits for replays in flight, frees the graph and gives its blocks back to the allocator. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        gpu.synchronize();
        gpu.destroyGraph(handle);
        reserved.forEach(memory::give);
    }
}
