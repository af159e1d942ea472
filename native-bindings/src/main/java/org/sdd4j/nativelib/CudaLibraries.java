package org.sdd4j.nativelib;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.sdd4j.nativelib.cublaslt.cublasLt_h;
import org.sdd4j.nativelib.cuda.cuda_h;
import org.sdd4j.nativelib.cudnn.cudnn_h;

/**
 * Finds, loads and version-checks the NVIDIA libraries of the GPU backend, and says exactly why the GPU
 * cannot be used when it cannot.
 *
 * <p>Three libraries are needed: the CUDA driver ({@code libcuda.so.1}, which comes with the NVIDIA
 * driver, not the toolkit), cuBLASLt 13 ({@code libcublasLt.so.13}) and cuDNN 9 ({@code libcudnn.so.9}).
 * The CUDA runtime ({@code libcudart}) is not needed: sdd4j drives the GPU through the driver API, and
 * neither cuBLASLt 13 nor cuDNN 9 links against libcudart.
 *
 * <p>Each library is looked for in these directories, in order, and taken from the first that holds it:
 * <ol>
 *   <li>{@code -Dsdd4j.cuda.path}: one or more directories (separated by {@code :});</li>
 *   <li>the directories of {@code LD_LIBRARY_PATH};</li>
 *   <li>{@code $CUDA_HOME} and {@code $CUDA_PATH}: their {@code lib64}, {@code lib} and
 *       {@code targets/x86_64-linux/lib};</li>
 *   <li>the NVIDIA Python wheels' {@code site-packages/nvidia/<name>/lib} folders, for the Python of
 *       {@code $VIRTUAL_ENV}, of each {@code python3} on {@code PATH}, and of {@code ~/.local};</li>
 *   <li>the system library directories, those of {@code /etc/ld.so.conf.d} included, where container
 *       runtimes put the driver (e.g. {@code /usr/local/nvidia/lib64}).</li>
 * </ol>
 * A {@code stubs} directory is never taken: the toolkit's link-time stub {@code libcuda.so} loads but
 * answers every call with "stub library".
 */
public final class CudaLibraries {
    /** System property with extra directories (separated by {@code :}) searched before all others. */
    public static final String PATH_PROPERTY = "sdd4j.cuda.path";
    /** The oldest GPU architecture the kernels fatbin carries code for (sm_80, Ampere). */
    public static final int MIN_COMPUTE_CAPABILITY = 80;
    /** The CUDA version the kernels were compiled with (nvcc 13.0): the driver must support at least this major. */
    public static final int KERNELS_CUDA_VERSION = 13000;

    /** The libraries the GPU backend needs. */
    public enum Library {
        DRIVER("libcuda.so.1", "the CUDA driver library",
                "install the NVIDIA driver (it ships libcuda.so.1; the CUDA toolkit's stubs/libcuda.so is no substitute)"),
        CUBLASLT("libcublasLt.so.13", "cuBLASLt 13",
                "pip install nvidia-cublas (CUDA 13), or install the CUDA 13 toolkit's cuBLAS"),
        CUDNN("libcudnn.so.9", "cuDNN 9", "pip install nvidia-cudnn-cu13, or install cuDNN 9 for CUDA 13");

        private final String file;
        private final String what;
        private final String fix;

        Library(String file, String what, String fix) {
            this.file = file;
            this.what = what;
            this.fix = fix;
        }

        /** The file name looked for. */
        public String file() {
            return file;
        }
    }

    /** A directory searched, and why it is on the list (for the report). */
    public record SearchDir(Path dir, String source) {
        @Override
        public String toString() {
            return dir + " (" + source + ")";
        }
    }

    /** The outcome of {@link #locate}: where each library was found, and what is missing. */
    public record Located(Map<Library, SearchDir> found, Set<Library> missing, List<SearchDir> searched,
                          List<Path> skippedStubs) {
        public Located {
            found = Map.copyOf(found);
            missing = Set.copyOf(missing);
            searched = List.copyOf(searched);
            skippedStubs = List.copyOf(skippedStubs);
        }

        /** The library file found for {@code library}. */
        public Path file(Library library) {
            return found.get(library).dir().resolve(library.file());
        }

        /** One sentence naming every missing library, where it was looked for, and how to install it. */
        public String missingReport() {
            StringBuilder s = new StringBuilder();
            for (Library l : Library.values()) {
                if (missing.contains(l)) {
                    s.append(s.isEmpty() ? "" : "; ").append(l.what).append(" (").append(l.file)
                            .append(") not found: ").append(l.fix);
                }
            }
            s.append(". Looked in ").append(searched.stream().map(SearchDir::toString).toList());
            if (!skippedStubs.isEmpty()) {
                s.append("; skipped the link-time stubs ").append(skippedStubs);
            }
            return s.append(". Add a directory with -D").append(PATH_PROPERTY).append("=DIR").toString();
        }
    }

    private static final List<Path> SYSTEM_DIRS = List.of(
            Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/lib/x86_64-linux-gnu"), Path.of("/usr/local/nvidia/lib64"),
            Path.of("/usr/local/cuda/lib64"), Path.of("/usr/lib64"), Path.of("/lib64"), Path.of("/usr/local/lib"),
            Path.of("/usr/lib"), Path.of("/usr/lib/wsl/lib"));

    private static CudaAvailability probed;

    private CudaLibraries() {
    }

    /**
     * Whether the GPU backend can run here, probed once per process: libraries found, loaded and
     * version-checked, the driver initialised, the devices listed. Never throws: when the GPU cannot be
     * used the result says exactly why, and sdd4j runs on the CPU.
     */
    public static synchronized CudaAvailability probe() {
        if (probed == null) {
            probed = probe(locate(searchPath(System.getProperty(PATH_PROPERTY), System.getenv())));
        }
        return probed;
    }

    /**
     * The directories searched, in order (see the class comment).
     *
     * @param explicit the value of {@code -Dsdd4j.cuda.path}, or null
     * @param env      the process environment
     * @throws NativeLibraryException if an explicit directory does not exist (a typo should not fall back silently)
     */
    public static List<SearchDir> searchPath(String explicit, Map<String, String> env) {
        List<SearchDir> dirs = new ArrayList<>();
        Set<Path> seen = new LinkedHashSet<>();
        if (explicit != null && !explicit.isBlank()) {
            for (String entry : explicit.split(":")) {
                if (entry.isBlank()) {
                    continue;
                }
                Path dir = Path.of(entry.trim()).toAbsolutePath();
                if (!Files.isDirectory(dir)) {
                    throw new NativeLibraryException("-D" + PATH_PROPERTY + "=" + explicit + " names " + dir
                            + ", which is not a directory. Give the directories holding libcuda.so.1,"
                            + " libcublasLt.so.13 or libcudnn.so.9, separated by ':'.");
                }
                add(dirs, seen, dir, "-D" + PATH_PROPERTY);
            }
        }
        for (String entry : env.getOrDefault("LD_LIBRARY_PATH", "").split(":")) {
            if (!entry.isBlank()) {
                add(dirs, seen, Path.of(entry).toAbsolutePath(), "LD_LIBRARY_PATH");
            }
        }
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String home = env.get(var);
            if (home != null && !home.isBlank()) {
                for (String sub : List.of("lib64", "lib", "targets/x86_64-linux/lib")) {
                    add(dirs, seen, Path.of(home).resolve(sub).toAbsolutePath(), "$" + var);
                }
            }
        }
        for (Path site : sitePackages(env)) {
            Path nvidia = site.resolve("nvidia");
            for (Path lib : children(nvidia)) {
                add(dirs, seen, lib.resolve("lib"), "Python wheel in " + site);
            }
        }
        for (Path dir : SYSTEM_DIRS) {
            add(dirs, seen, dir, "system");
        }
        for (Path dir : ldSoConfDirs()) {
            add(dirs, seen, dir, "/etc/ld.so.conf.d");
        }
        return dirs;
    }

    /** Finds each library in the first directory of {@code dirs} that holds it; never loads anything. */
    public static Located locate(List<SearchDir> dirs) {
        Map<Library, SearchDir> found = new EnumMap<>(Library.class);
        List<Path> stubs = new ArrayList<>();
        for (Library l : Library.values()) {
            for (SearchDir d : dirs) {
                Path file = d.dir().resolve(l.file());
                if (!Files.isRegularFile(file)) {
                    continue;
                }
                if (isStub(file)) {
                    stubs.add(file);
                    continue;
                }
                found.put(l, d);
                break;
            }
        }
        Set<Library> missing = new LinkedHashSet<>(List.of(Library.values()));
        missing.removeAll(found.keySet());
        return new Located(found, missing, dirs, stubs);
    }

    /**
     * Loads the located libraries and checks them: the driver initialises and sees a device of compute
     * capability 8.0 or newer, and supports the CUDA version that the kernels and each library were built for.
     */
    static CudaAvailability probe(Located located) {
        List<LoadedLibrary> loaded = new ArrayList<>();
        if (!located.missing().isEmpty()) {
            String kernel = Files.isDirectory(Path.of("/proc/driver/nvidia")) ? ""
                    : "no NVIDIA kernel driver is loaded (/proc/driver/nvidia does not exist), so no GPU is usable"
                    + " from this machine or container. ";
            return CudaAvailability.unusable(kernel + located.missingReport(), loaded, List.of());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment intOut = arena.allocate(ValueLayout.JAVA_INT);
            Path driverFile = located.file(Library.DRIVER);
            load(driverFile, "the CUDA driver library");
            int init = cuda_h.cuInit(0);
            int driverVersion = 0;
            if (cuda_h.cuDriverGetVersion(intOut) == cuda_h.CUDA_SUCCESS()) {
                driverVersion = intOut.get(ValueLayout.JAVA_INT, 0);
            }
            loaded.add(new LoadedLibrary(Library.DRIVER.file, driverFile, located.found().get(Library.DRIVER).source(),
                    "CUDA " + cudaVersion(driverVersion), List.of()));
            if (init != cuda_h.CUDA_SUCCESS()) {
                return CudaAvailability.unusable("the CUDA driver at " + driverFile + " failed to initialise: cuInit "
                        + CudaErrors.describe(init) + hint(init), loaded, List.of());
            }
            if (driverVersion / 1000 < KERNELS_CUDA_VERSION / 1000) {
                return CudaAvailability.unusable("the NVIDIA driver supports CUDA " + cudaVersion(driverVersion)
                        + ", but sdd4j's kernels need CUDA " + cudaVersion(KERNELS_CUDA_VERSION)
                        + " or newer: update the NVIDIA driver", loaded, List.of());
            }

            Path blasFile = located.file(Library.CUBLASLT);
            load(blasFile, "cuBLASLt");
            long blasVersion = cublasLt_h.cublasLtGetVersion();
            long blasCudart = cublasLt_h.cublasLtGetCudartVersion();
            loaded.add(new LoadedLibrary(Library.CUBLASLT.file, blasFile, located.found().get(Library.CUBLASLT).source(),
                    blasVersion / 10000 + "." + blasVersion / 100 % 100 + "." + blasVersion % 100 + " (for CUDA "
                            + cudaVersion((int) blasCudart) + ")", List.of()));
            if (blasVersion / 10000 != 13) {
                return CudaAvailability.unusable(blasFile + " is cuBLASLt " + blasVersion
                        + ", but sdd4j's bindings are for cuBLASLt 13", loaded, List.of());
            }
            if (blasCudart / 1000 > driverVersion / 1000) {
                return CudaAvailability.unusable("cuBLASLt at " + blasFile + " was built for CUDA "
                        + cudaVersion((int) blasCudart) + ", newer than the driver's CUDA " + cudaVersion(driverVersion)
                        + ": update the NVIDIA driver or install a cuBLASLt built for it", loaded, List.of());
            }

            Path dnnFile = located.file(Library.CUDNN);
            load(dnnFile, "cuDNN");
            long dnnVersion = cudnn_h.cudnnGetVersion();
            long dnnCudart = cudnn_h.cudnnGetCudartVersion();
            loaded.add(new LoadedLibrary(Library.CUDNN.file, dnnFile, located.found().get(Library.CUDNN).source(),
                    dnnVersion / 10000 + "." + dnnVersion / 100 % 100 + "." + dnnVersion % 100 + " (for CUDA "
                            + cudaVersion((int) dnnCudart) + ")", List.of()));
            if (dnnVersion / 10000 != 9) {
                return CudaAvailability.unusable(dnnFile + " is cuDNN " + dnnVersion
                        + ", but sdd4j's bindings are for cuDNN 9", loaded, List.of());
            }
            if (dnnCudart / 1000 > driverVersion / 1000) {
                return CudaAvailability.unusable("cuDNN at " + dnnFile + " was built for CUDA "
                        + cudaVersion((int) dnnCudart) + ", newer than the driver's CUDA " + cudaVersion(driverVersion)
                        + ": update the NVIDIA driver or install a cuDNN built for it", loaded, List.of());
            }
            return devices(loaded, arena);
        } catch (NativeLibraryException e) {
            return CudaAvailability.unusable(e.getMessage(), loaded, List.of());
        }
    }

    private static CudaAvailability devices(List<LoadedLibrary> loaded, Arena arena) {
        MemorySegment intOut = arena.allocate(ValueLayout.JAVA_INT);
        int r = cuda_h.cuDeviceGetCount(intOut);
        int count = r == cuda_h.CUDA_SUCCESS() ? intOut.get(ValueLayout.JAVA_INT, 0) : 0;
        List<GpuDevice> devices = new ArrayList<>();
        MemorySegment name = arena.allocate(256);
        MemorySegment bytes = arena.allocate(ValueLayout.JAVA_LONG);
        for (int i = 0; i < count; i++) {
            if (cuda_h.cuDeviceGet(intOut, i) != cuda_h.CUDA_SUCCESS()) {
                continue;
            }
            int device = intOut.get(ValueLayout.JAVA_INT, 0);
            cuda_h.cuDeviceGetName(name, 256, device);
            int major = attribute(arena, cuda_h.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR(), device);
            int minor = attribute(arena, cuda_h.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR(), device);
            int sms = attribute(arena, cuda_h.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT(), device);
            cuda_h.cuDeviceTotalMem_v2(bytes, device);
            devices.add(new GpuDevice(i, name.getString(0), major * 10 + minor, sms, bytes.get(ValueLayout.JAVA_LONG, 0)));
        }
        if (devices.isEmpty()) {
            return CudaAvailability.unusable("the CUDA driver initialised but lists no device (cuDeviceGetCount "
                    + CudaErrors.describe(r) + ", count " + count + "); check CUDA_VISIBLE_DEVICES", loaded, devices);
        }
        GpuDevice first = devices.getFirst();
        if (first.computeCapability() < MIN_COMPUTE_CAPABILITY) {
            return CudaAvailability.unusable("GPU 0 (" + first.name() + ") has compute capability "
                    + first.computeCapability() / 10 + "." + first.computeCapability() % 10
                    + "; sdd4j's kernels need 8.0 (Ampere) or newer", loaded, devices);
        }
        return CudaAvailability.usable(loaded, devices);
    }

    private static int attribute(Arena arena, int attribute, int device) {
        MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
        return cuda_h.cuDeviceGetAttribute(out, attribute, device) == cuda_h.CUDA_SUCCESS()
                ? out.get(ValueLayout.JAVA_INT, 0) : -1;
    }

    /** What to do about a failed {@code cuInit}, for the errors a user can act on. */
    private static String hint(int result) {
        if (result == cuda_h.CUDA_ERROR_NO_DEVICE()) {
            return ": the driver sees no GPU (none installed, none passed into this container, or"
                    + " CUDA_VISIBLE_DEVICES hides them)";
        }
        if (result == cuda_h.CUDA_ERROR_STUB_LIBRARY()) {
            return ": that file is the toolkit's link-time stub; point -D" + PATH_PROPERTY
                    + " at the NVIDIA driver's libcuda.so.1";
        }
        if (result == cuda_h.CUDA_ERROR_SYSTEM_DRIVER_MISMATCH()) {
            return ": the user-space driver library and the kernel driver do not match; reinstall the NVIDIA driver";
        }
        return "";
    }

    /** {@code 13000} as {@code 13.0}: the driver API's version encoding (1000 * major + 10 * minor). */
    static String cudaVersion(int v) {
        return v / 1000 + "." + v % 1000 / 10;
    }

    private static void load(Path file, String what) {
        try {
            System.load(file.toString());
        } catch (UnsatisfiedLinkError e) {
            throw new NativeLibraryException("could not load " + what + " from " + file + ": " + e.getMessage()
                    + " (check its dependencies with: ldd " + file + ")", e);
        }
    }

    /** The toolkit's stub libraries live in a folder named {@code stubs}; the driver's never do. */
    private static boolean isStub(Path file) {
        for (Path part : file.getParent()) {
            if (part.toString().equals("stubs")) {
                return true;
            }
        }
        return false;
    }

    private static void add(List<SearchDir> dirs, Set<Path> seen, Path dir, String source) {
        if (seen.add(dir.normalize())) {
            dirs.add(new SearchDir(dir.normalize(), source));
        }
    }

    /** site-packages of the active virtual environment, of each python3 on PATH, and the user's. */
    private static List<Path> sitePackages(Map<String, String> env) {
        List<Path> prefixes = new ArrayList<>();
        String venv = env.get("VIRTUAL_ENV");
        if (venv != null && !venv.isBlank()) {
            prefixes.add(Path.of(venv));
        }
        for (String entry : env.getOrDefault("PATH", "").split(":")) {
            if (!entry.isBlank() && Files.isExecutable(Path.of(entry, "python3"))) {
                Path parent = Path.of(entry).toAbsolutePath().getParent();
                if (parent != null) {
                    prefixes.add(parent);
                }
            }
        }
        String home = env.get("HOME");
        if (home != null && !home.isBlank()) {
            prefixes.add(Path.of(home, ".local"));
        }
        List<Path> sites = new ArrayList<>();
        for (Path prefix : prefixes) {
            for (Path python : children(prefix.resolve("lib"))) {
                if (python.getFileName().toString().startsWith("python3")) {
                    for (String sub : List.of("site-packages", "dist-packages")) {
                        if (Files.isDirectory(python.resolve(sub)) && !sites.contains(python.resolve(sub))) {
                            sites.add(python.resolve(sub));
                        }
                    }
                }
            }
        }
        return sites;
    }

    /** The directories listed by {@code /etc/ld.so.conf.d/*.conf} (one path per line, # comments). */
    private static List<Path> ldSoConfDirs() {
        List<Path> dirs = new ArrayList<>();
        for (Path conf : children(Path.of("/etc/ld.so.conf.d"))) {
            if (!conf.toString().endsWith(".conf")) {
                continue;
            }
            try (Stream<String> lines = Files.lines(conf)) {
                lines.map(String::strip).filter(l -> l.startsWith("/")).forEach(l -> dirs.add(Path.of(l)));
            } catch (IOException | java.io.UncheckedIOException e) {
                // An unreadable configuration file only narrows the search; the report lists what was searched.
            }
        }
        return dirs;
    }

    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(out::add);
        } catch (IOException e) {
            return List.of();
        }
        out.sort(null);
        return out;
    }
}
