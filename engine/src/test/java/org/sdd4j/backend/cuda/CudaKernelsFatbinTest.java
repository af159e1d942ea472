package org.sdd4j.backend.cuda;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Checks that need no GPU: the build packaged a fatbin exporting every kernel the engine launches, and the host
 * emulator the GPU tests fall back to has every one of them too.
 */
class CudaKernelsFatbinTest {
    private static boolean nvccPresent() {
        String home = System.getenv("CUDA_HOME");
        return Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc"))
                || (home != null && Files.isExecutable(Path.of(home, "bin", "nvcc")));
    }

    @Test
    @org.junit.jupiter.api.Tag(TestGpu.HOST_BUILD)
    void theBuildPackagedAFatbinWithEveryKernel() {
        Assumptions.assumeTrue(nvccPresent(), "no nvcc here: the build ships no CUDA kernels (profile cuda-kernels off)");
        byte[] fatbin = CudaKernels.fatbin();
        assertTrue(fatbin.length > 10_000, "fatbin of " + fatbin.length + " bytes");
        // The cubins' symbol tables hold the plain (extern "C") kernel names.
        String bytes = new String(fatbin, StandardCharsets.ISO_8859_1);
        for (String name : CudaKernels.NAMES) {
            assertTrue(bytes.contains(name + "\0"), "kernel " + name + " is not in " + CudaKernels.RESOURCE);
        }
    }

    @Test
    @org.junit.jupiter.api.Tag(TestGpu.HOST_BUILD)
    void theHostEmulatorHasEveryKernel() {
        Assumptions.assumeTrue(TestGpu.emulatorLibrary() != null, "no host kernel emulator in this build (needs g++)");
        java.util.List<String> emulated;
        try (EmulatedGpuRuntime emulator = new EmulatedGpuRuntime(TestGpu.emulatorLibrary(), MatmulPrecision.FLOAT32)) {
            emulated = emulator.kernels().stream().filter(k -> !k.startsWith("selftest_")).toList();
        }
        assertEquals(new java.util.TreeSet<>(CudaKernels.NAMES), new java.util.TreeSet<>(emulated),
                "kernels/host/emulator.cpp's table against CudaKernels.NAMES");
    }

    @Test
    void deviceBlocksRoundTo512BytesThenTo2MiB() {
        assertEquals(512, DeviceMemory.rounded(1));
        assertEquals(1024, DeviceMemory.rounded(513));
        assertEquals(1L << 20, DeviceMemory.rounded((1L << 20) - 1));
        assertEquals(2L << 20, DeviceMemory.rounded(1L << 20));
        assertEquals(4L << 20, DeviceMemory.rounded((2L << 20) + 1));
    }
}
