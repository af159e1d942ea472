package org.sdd4j.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import jdk.incubator.vector.FloatVector;
import org.sdd4j.api.Detector;
import org.sdd4j.backend.Backend;
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
        try (Backend backend = Detector.createBackend(cores)) {
            out.println("backend:    " + backend.name() + " with " + backend.threads() + " threads (the default for"
                    + " 'sdd4j score': CPU, as this build has no GPU backend; --threads changes the thread count)");
        }
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
