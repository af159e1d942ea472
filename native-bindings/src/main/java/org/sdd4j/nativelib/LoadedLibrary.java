package org.sdd4j.nativelib;

import java.nio.file.Path;
import java.util.List;

/**
 * A native library that is loaded into this JVM.
 *
 * @param name         the library file name looked for, e.g. {@code libdnnl.so.3}
 * @param path         the absolute file that was loaded
 * @param source       how it was found, in words (for {@code sdd4j info} and error reports)
 * @param version      the version the library itself reports
 * @param dependencies libraries loaded before it, by absolute path, in load order
 */
public record LoadedLibrary(String name, Path path, String source, String version, List<Path> dependencies) {
    public LoadedLibrary {
        dependencies = List.copyOf(dependencies);
    }

    /** One line for {@code sdd4j info}: {@code libdnnl.so.3 3.11.0 at /path (source)}. */
    public String describe() {
        return name + " " + version + " at " + path + " (" + source + ")";
    }
}
