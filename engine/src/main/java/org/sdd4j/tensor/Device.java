package org.sdd4j.tensor;

/** Where a tensor's memory lives. CPU memory is an off-heap {@code MemorySegment}. */
public enum Device {
    CPU, CUDA
}
