package org.sdd4j.backend;

import java.util.Arrays;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import org.sdd4j.backend.cpu.CpuBackend;
import org.sdd4j.backend.cpu.dnnl.DnnlBackend;
import org.sdd4j.backend.cpu.dnnl.OneDnn;
import org.sdd4j.backend.cuda.CudaBackend;
import org.sdd4j.nativelib.CudaAvailability;
import org.sdd4j.nativelib.CudaLibraries;

/**
 * Picks the backend: CUDA when {@link CudaLibraries} reports a usable GPU, the GPU backend has passed its suite on
 * hardware ({@link CudaBackend#VERIFIED_ON_HARDWARE}) <em>and</em> every operation the
 * models run is on the GPU ({@link CudaBackend#NOT_ON_GPU} is empty), for scoring and training alike, else oneDNN
 * when its library loads
 * here, else the portable Vector API provider. {@code -Dsdd4j.backend=reference|vector|dnnl|cuda} forces
 * one; forcing {@code dnnl} or {@code cuda} where it cannot start is an error rather than a silent
 * fallback, so a benchmark or a bug report never measures the wrong thing.
 */
public final class Backends {
    /** System property that forces a provider. */
    public static final String PROPERTY = "sdd4j.backend";

    /** The CPU providers. */
    public enum Provider {
        /** {@link ReferenceBackend}: plain loops, one thread; for checking, never for speed. */
        REFERENCE,
        /** {@link CpuBackend}: Vector API kernels, pure Java. */
        VECTOR,
        /** {@link DnnlBackend}: oneDNN for matmuls and convolutions, Vector API for the rest. */
        DNNL,
        /** {@link CudaBackend}: GPU 0 through cuBLASLt and sdd4j's kernels. */
        CUDA;

        /** The value of {@code -Dsdd4j.backend} that names this provider. */
        public String propertyValue() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Provider parse(String value) {
            for (Provider p : values()) {
                if (p.propertyValue().equals(value.trim().toLowerCase(Locale.ROOT))) {
                    return p;
                }
            }
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + " is not a backend; use one of "
                    + Arrays.stream(values()).map(Provider::propertyValue).toList());
        }
    }

    private Backends() {
    }

    /** The CPU backend for {@code threads} worker threads (see {@link #select(int)}). */
    public static Backend cpu(int threads) {
        Backend b = select(threads).backend();
        return Boolean.getBoolean(PROFILE_PROPERTY) ? new ProfilingBackend(b, System.err) : b;
    }

    /** {@code -Dsdd4j.profile=true} wraps the backend in a {@link ProfilingBackend} that prints per-op times on close. */
    public static final String PROFILE_PROPERTY = "sdd4j.profile";

    /** The CPU backend for {@code threads} worker threads, with the reason it was chosen. */
    public static BackendChoice select(int threads) {
        return select(System.getProperty(PROPERTY), threads);
    }

    /**
     * As {@link #select(int)}, with the value of {@code -Dsdd4j.backend} given explicitly.
     *
     * @param forced a provider name, or null / blank for the default rule
     * @throws IllegalArgumentException if {@code forced} names no provider
     * @throws IllegalStateException    if {@code forced} is {@code dnnl} and oneDNN cannot be used
     */
    public static BackendChoice select(String forced, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (forced != null && !forced.isBlank()) {
            Provider p = Provider.parse(forced);
            String why = "forced by -D" + PROPERTY + "=" + p.propertyValue();
            return switch (p) {
                case REFERENCE -> new BackendChoice(new ReferenceBackend(), p, why, "", bits);
                case VECTOR -> new BackendChoice(new CpuBackend(threads), p, why, "", bits);
                case CUDA -> {
                    try {
                        CudaBackend c = new CudaBackend();
                        yield new BackendChoice(c, p, why + gpuCoverage(), "", bits);
                    } catch (RuntimeException | LinkageError e) {
                        throw new IllegalStateException("-D" + PROPERTY + "=cuda, but the GPU cannot be used: "
                                + e.getMessage() + " (remove the property to use the CPU backend)", e);
                    }
                }
                case DNNL -> {
                    try {
                        DnnlBackend d = new DnnlBackend(threads);
                        yield new BackendChoice(d, p, why, describeDnnl(d), bits);
                    } catch (RuntimeException | LinkageError e) {
                        throw new IllegalStateException("-D" + PROPERTY + "=dnnl, but oneDNN cannot be used: "
                                + e.getMessage() + " (remove the property to fall back to the Vector API backend)",
                                e);
                    }
                }
            };
        }
        CudaAvailability gpu = CudaLibraries.probe();
        String notGpu;
        if (!gpu.usable()) {
            notGpu = "CUDA not used: " + gpu.reason();
        } else if (!CudaBackend.VERIFIED_ON_HARDWARE) {
            notGpu = "CUDA not used by default: the GPU backend has not yet passed its test suite on GPU hardware"
                    + " (benchmarks/gpu/run.sh); -D" + PROPERTY + "=cuda opts in";
        } else if (!CudaBackend.NOT_ON_GPU.isEmpty()) {
            notGpu = "CUDA not used: the GPU is usable but these still run only on the host: "
                    + String.join("; ", CudaBackend.NOT_ON_GPU) + " (-D" + PROPERTY + "=cuda forces it)";
        } else {
            try {
                return new BackendChoice(new CudaBackend(), Provider.CUDA, "default: usable GPU, every op on it"
                        + gpuCoverage(), "", bits);
            } catch (RuntimeException | LinkageError e) {
                notGpu = "CUDA not used: " + e.getMessage();
            }
        }
        try {
            DnnlBackend d = new DnnlBackend(threads);
            return new BackendChoice(d, Provider.DNNL, "default: oneDNN loaded; " + notGpu, describeDnnl(d), bits);
        } catch (RuntimeException | LinkageError e) {
            return new BackendChoice(new CpuBackend(threads), Provider.VECTOR,
                    "default: oneDNN not used (" + e.getMessage() + "); " + notGpu, "", bits);
        }
    }

    /** What the GPU does not do, for the chosen-backend line of {@code sdd4j info}. */
    private static String gpuCoverage() {
        return CudaBackend.NOT_ON_GPU.isEmpty() ? "; scoring and training run on the GPU"
                : "; not yet on the GPU (these fail on device tensors): " + String.join("; ", CudaBackend.NOT_ON_GPU);
    }

    private static String describeDnnl(DnnlBackend d) {
        return d.library().describe() + ", ISA " + OneDnn.effectiveIsa();
    }
}
