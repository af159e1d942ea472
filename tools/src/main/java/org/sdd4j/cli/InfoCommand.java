package org.sdd4j.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import jdk.incubator.vector.FloatVector;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.BackendChoice;
import org.sdd4j.backend.Backends;
import org.sdd4j.nativelib.CudaAvailability;
import org.sdd4j.nativelib.CudaLibraries;
import org.sdd4j.nativelib.NativeLibraries;
import org.sdd4j.nativelib.NativeLibraryException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code sdd4j info}: what this installation runs on, for bug reports and performance questions. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Prints the build, the JDK, the CPU features and backend sdd4j uses, and the native libraries found.")
final class InfoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        int cores = Runtime.getRuntime().availableProcessors();
        out.println("sdd4j:      " + Main.version());
        out.println("JDK:        " + Runtime.version() + " (" + System.getProperty("java.vendor") + ") at "
                + System.getProperty("java.home"));
        out.println("OS:         " + System.getProperty("os.name") + " " + System.getProperty("os.version")
                + " (" + System.getProperty("os.arch") + ")");
        out.println("CPU cores:  " + cores);
        out.println("Vector API: preferred species " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits ("
                + FloatVector.SPECIES_PREFERRED.length() + " floats per vector)");
        BackendChoice choice = Backends.select(cores);
        try (Backend backend = choice.backend()) {
            out.println(choice.describe().strip());
            out.println("  (what 'sdd4j score' and 'sdd4j train' use by default; --threads sets the count,"
                    + " -Dsdd4j.backend=reference|vector|dnnl|cuda forces a provider; on cuda,"
                    + " -Dsdd4j.cuda.precision=float32|tf32|bf16 sets the matrix products' precision)");
        }
        // Whether the GPU could run here, and exactly why not, is what a GPU user asks first; the backend
        // line above says whether CUDA was chosen and why.
        CudaAvailability gpu = CudaLibraries.probe();
        out.println("GPU (CUDA): " + gpu.describe() + (gpu.usable()
                ? "\n  (see \"chosen\" above for whether the CUDA backend is used, and why not)"
                : "\n  (sdd4j runs on the CPU backend above)"));
        out.println("native libraries:");
        try {
            out.println("  oneDNN:   " + NativeLibraries.dnnl().describe());
        } catch (NativeLibraryException e) {
            out.println("  oneDNN:   not available: " + e.getMessage());
        }
        out.flush();
        return Main.OK;
    }
}
