package org.sdd4j.nativelib;

/**
 * A CUDA device as the driver reports it.
 *
 * @param ordinal           the driver's device number
 * @param name              the marketing name, e.g. {@code NVIDIA H100 80GB HBM3}
 * @param computeCapability major * 10 + minor, e.g. 90 for Hopper
 * @param multiprocessors   streaming multiprocessors
 * @param memoryBytes       device memory
 */
public record GpuDevice(int ordinal, String name, int computeCapability, int multiprocessors, long memoryBytes) {
    /** One line for {@code sdd4j info}. */
    public String describe() {
        return "GPU " + ordinal + ": " + name + ", compute capability " + computeCapability / 10 + "."
                + computeCapability % 10 + ", " + multiprocessors + " SMs, " + memoryBytes / (1L << 20) + " MiB";
    }
}
