package org.sdd4j.nativelib;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

class CudaLibrariesTest {
    private static CudaLibraries.SearchDir dir(Path p, String source) {
        return new CudaLibraries.SearchDir(p, source);
    }

    @Test
    void nothingFoundNamesEveryLibraryEveryDirectoryAndTheFix(@TempDir Path a, @TempDir Path b) {
        CudaLibraries.Located located = CudaLibraries.locate(List.of(dir(a, "one"), dir(b, "two")));
        assertEquals(3, located.missing().size());
        String report = located.missingReport();
        for (String expected : List.of("libcuda.so.1", "libcublasLt.so.13", "libcudnn.so.9", "install the NVIDIA driver",
                "pip install nvidia-cudnn-cu13", a + " (one)", b + " (two)", "-Dsdd4j.cuda.path")) {
            assertTrue(report.contains(expected), "missing '" + expected + "' in: " + report);
        }
    }

    @Test
    void eachLibraryComesFromTheFirstDirectoryHoldingItAndStubsAreSkipped(@TempDir Path root) throws Exception {
        Path stubs = Files.createDirectories(root.resolve("cuda/lib64/stubs"));
        Path first = Files.createDirectories(root.resolve("first"));
        Path second = Files.createDirectories(root.resolve("second"));
        Files.createFile(stubs.resolve("libcuda.so.1"));
        Files.createFile(second.resolve("libcuda.so.1"));
        Files.createFile(first.resolve("libcudnn.so.9"));
        Files.createFile(second.resolve("libcudnn.so.9"));
        CudaLibraries.Located located = CudaLibraries.locate(
                List.of(dir(stubs, "stub"), dir(first, "first"), dir(second, "second")));
        assertEquals(second.resolve("libcuda.so.1"), located.file(CudaLibraries.Library.DRIVER));
        assertEquals(first.resolve("libcudnn.so.9"), located.file(CudaLibraries.Library.CUDNN));
        assertEquals(java.util.Set.of(CudaLibraries.Library.CUBLASLT), located.missing());
        assertEquals(List.of(stubs.resolve("libcuda.so.1")), located.skippedStubs());
        assertTrue(located.missingReport().contains("skipped the link-time stubs"), located.missingReport());
    }

    @Test
    void searchPathOrderExplicitThenLdLibraryPathThenCudaHomeThenPythonWheels(@TempDir Path root) throws Exception {
        Path explicit = Files.createDirectories(root.resolve("explicit"));
        Path venv = root.resolve("venv");
        Path cudnnLib = Files.createDirectories(venv.resolve("lib/python3.12/site-packages/nvidia/cudnn/lib"));
        Path cublasLib = Files.createDirectories(venv.resolve("lib/python3.12/site-packages/nvidia/cu13/lib"));
        List<CudaLibraries.SearchDir> dirs = CudaLibraries.searchPath(explicit.toString(), Map.of(
                "LD_LIBRARY_PATH", "/opt/ld", "CUDA_HOME", "/opt/cuda", "VIRTUAL_ENV", venv.toString()));
        List<Path> paths = dirs.stream().map(CudaLibraries.SearchDir::dir).toList();
        int e = paths.indexOf(explicit), ld = paths.indexOf(Path.of("/opt/ld")),
                home = paths.indexOf(Path.of("/opt/cuda/lib64")), cudnn = paths.indexOf(cudnnLib),
                cublas = paths.indexOf(cublasLib), system = paths.indexOf(Path.of("/usr/lib/x86_64-linux-gnu"));
        assertTrue(e == 0 && e < ld && ld < home && home < cublas && cublas < cudnn && cudnn < system, paths.toString());
        assertTrue(dirs.get(cudnn).source().contains("Python wheel"), dirs.get(cudnn).toString());
    }

    @Test
    void explicitPathThatIsNoDirectoryFailsLoudly(@TempDir Path root) {
        Path typo = root.resolve("no-such-dir");
        NativeLibraryException ex = assertThrows(NativeLibraryException.class,
                () -> CudaLibraries.searchPath(typo.toString(), Map.of()));
        assertTrue(ex.getMessage().contains(typo.toString()), ex.getMessage());
    }

    /** On a machine without the NVIDIA driver (this build machine), the reason must say so precisely. */
    @Test
    void withoutTheNvidiaDriverTheGpuIsUnusableAndTheReasonSaysWhy() {
        Assumptions.assumeFalse(Files.isDirectory(Path.of("/proc/driver/nvidia")),
                "this machine has an NVIDIA kernel driver: the no-driver report is checked on machines without one");
        CudaLibraries.Located located = CudaLibraries.locate(
                CudaLibraries.searchPath(System.getProperty(CudaLibraries.PATH_PROPERTY), System.getenv()));
        Assumptions.assumeTrue(located.missing().contains(CudaLibraries.Library.DRIVER),
                "a libcuda.so.1 exists here (" + located.found() + ") although no kernel driver is loaded");
        CudaAvailability a = CudaLibraries.probe();
        assertFalse(a.usable());
        assertTrue(a.reason().startsWith("no NVIDIA kernel driver is loaded (/proc/driver/nvidia does not exist)"),
                a.reason());
        assertTrue(a.reason().contains("the CUDA driver library (libcuda.so.1) not found: install the NVIDIA driver"),
                a.reason());
        assertTrue(a.reason().contains("/usr/lib/x86_64-linux-gnu (system)"), a.reason());
        assertTrue(a.describe().startsWith("not usable: "), a.describe());
        assertSame(a, CudaLibraries.probe(), "probed once per process");
    }

    @Test
    void cudaVersionsPrintAsTheDriverEncodesThem() {
        assertEquals("13.0", CudaLibraries.cudaVersion(13000));
        assertEquals("12.8", CudaLibraries.cudaVersion(12080));
    }
}
