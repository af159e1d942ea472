package org.sdd4j.backend.cuda;

/**
 * A block of device memory: a CUDA device address and its usable size in bytes. Owned by the
 * {@link DeviceMemory} that handed it out; give it back there.
 */
public record DeviceBuffer(long address, long bytes) {
    /** The address of float element {@code i}. */
    public long floatAt(long i) {
        return address + 4 * i;
    }
}
