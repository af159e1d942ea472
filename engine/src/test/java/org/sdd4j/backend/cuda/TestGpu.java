package org.sdd4j.backend.cuda;

import java.nio.file.Files;
import java.nio.file.Path;

import org.sdd4j.nativelib.CudaAvailability;
import org.sdd4j.nativelib.CudaLibraries;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Where the GPU tests run: on the GPU when one is usable; otherwise on the host kernel emulator
 * ({@link EmulatedGpuRuntime}) when the build made it (it needs g++), so that the CUDA backend's code runs
 * in every build; otherwise nowhere, and the tests are skipped saying why.
 */
final class TestGpu {
    /**
     * The JUnit tag of tests that check the build machine rather than a GPU: the fatbin nvcc made, the host emulator
     * g++ made, and what only the emulator can do (reversed schedules). The GPU run (benchmarks/gpu/RunGpuTests)
     * leaves them out, since there they would be skipped, and a skip fails that run.
     */
    static final String HOST_BUILD = "host-build";

    private TestGpu() {
    }

    /** The emulator library, when the build made it. */
    static Path emulatorLibrary() {
        String p = System.getProperty(EmulatedGpuRuntime.PROPERTY);
        return p != null && Files.isRegularFile(Path.of(p)) ? Path.of(p) : null;
    }

    /** Whether tests run on the emulator rather than a GPU. */
    static boolean emulated() {
        return !CudaLibraries.probe().usable() && emulatorLibrary() != null;
    }

    /** A backend on the GPU, or on the emulator; null when neither is here. */
    static CudaBackend open(MatmulPrecision precision) {
        if (CudaLibraries.probe().usable()) {
            return new CudaBackend(precision);
        }
        Path emulator = emulatorLibrary();
        return emulator == null ? null : new CudaBackend(new EmulatedGpuRuntime(emulator, precision));
    }

    /** Skips the calling test, with the reason, when {@link #open} has nothing to open. */
    static void assume() {
        CudaAvailability a = CudaLibraries.probe();
        assumeTrue(a.usable() || emulatorLibrary() != null, "GPU test skipped: " + a.reason()
                + "; and no host kernel emulator (-D" + EmulatedGpuRuntime.PROPERTY + ", built where g++ exists)");
    }
}
