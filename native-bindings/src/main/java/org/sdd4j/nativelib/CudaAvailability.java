package org.sdd4j.nativelib;

import java.util.List;

/**
 * Whether the GPU backend can run in this process, and if not, exactly why.
 *
 * @param usable    true when the driver, cuBLASLt and cuDNN loaded, passed their version checks, and a
 *                  device of compute capability 8.0 or newer is visible
 * @param reason    why the GPU is not used (empty when usable): names the missing or mismatched library,
 *                  where it was looked for, and how to fix it
 * @param libraries the libraries that were loaded, in load order, with their versions
 * @param devices   the devices the driver lists (empty when it was not reached)
 */
public record CudaAvailability(boolean usable, String reason, List<LoadedLibrary> libraries, List<GpuDevice> devices) {
    public CudaAvailability {
        libraries = List.copyOf(libraries);
        devices = List.copyOf(devices);
    }

    static CudaAvailability usable(List<LoadedLibrary> libraries, List<GpuDevice> devices) {
        return new CudaAvailability(true, "", libraries, devices);
    }

    static CudaAvailability unusable(String reason, List<LoadedLibrary> libraries, List<GpuDevice> devices) {
        return new CudaAvailability(false, reason, libraries, devices);
    }

    /** Lines for {@code sdd4j info}: the verdict, then each library and device found. */
    public String describe() {
        StringBuilder s = new StringBuilder(usable ? "usable" : "not usable: " + reason);
        for (LoadedLibrary l : libraries) {
            s.append("\n  ").append(l.describe());
        }
        for (GpuDevice d : devices) {
            s.append("\n  ").append(d.describe());
        }
        return s.toString();
    }
}
