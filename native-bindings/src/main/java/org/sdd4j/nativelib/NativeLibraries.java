package org.sdd4j.nativelib;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.sdd4j.nativelib.dnnl.dnnl_h;
import org.sdd4j.nativelib.dnnl.dnnl_version_t;

/**
 * Finds, loads and version-checks the native libraries sdd4j calls through its jextract bindings.
 *
 * <p>The generated bindings resolve symbols through their class loader's lookup, so a library is usable
 * once it has been {@link System#load loaded} here by absolute path. Dependencies that sdd4j also calls
 * (libgomp, oneDNN's OpenMP runtime) are loaded first, by absolute path, so that the copy the bindings
 * see is the copy oneDNN links against.
 *
 * <p>oneDNN ({@code libdnnl.so.3}) is looked for, in order:
 * <ol>
 *   <li>{@code -Dsdd4j.dnnl.path}: the library file or its directory. When set it is the only place
 *       looked at: a wrong explicit setting fails loudly rather than silently loading another copy;</li>
 *   <li>the directories of {@code LD_LIBRARY_PATH}, then the system library directories;</li>
 *   <li>the {@code org.bytedeco:dnnl} {@code linux-x86_64} jar on the class path, extracted once per
 *       version into {@code ~/.cache/sdd4j/native/<version>/} (or {@code $XDG_CACHE_HOME},
 *       or {@code -Dsdd4j.native.cache}) and reused afterwards.</li>
 * </ol>
 */
public final class NativeLibraries {
    /** System property naming the oneDNN library file or the directory that holds it. */
    public static final String DNNL_PATH_PROPERTY = "sdd4j.dnnl.path";
    /** System property naming the directory native libraries are extracted into. */
    public static final String NATIVE_CACHE_PROPERTY = "sdd4j.native.cache";

    static final String DNNL_FILE = "libdnnl.so.3";
    static final String GOMP_FILE = "libgomp.so.1";
    /** The major version of the oneDNN C API the bindings were generated from. */
    static final int DNNL_API_MAJOR = 3;

    private static final String JAR_DIR = "org/bytedeco/dnnl/linux-x86_64/";
    private static final String JAR_POM_PROPERTIES = "META-INF/maven/org.bytedeco/dnnl/pom.properties";
    private static final List<Path> SYSTEM_DIRS = List.of(
            Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/lib/x86_64-linux-gnu"),
            Path.of("/usr/local/lib"), Path.of("/usr/lib64"), Path.of("/usr/lib"));

    private static LoadedLibrary dnnl;

    private NativeLibraries() {
    }

    /**
     * Where a library was found, before loading.
     *
     * @param library the library file
     * @param source  how it was found, in words
     * @param gomp    the OpenMP runtime to load first, if one was found beside it or in the system
     */
    public record Location(Path library, String source, Optional<Path> gomp) {
    }

    /**
     * oneDNN, loaded on first use (from the places in the class comment) and then shared by the whole
     * process.
     *
     * @throws NativeLibraryException if it cannot be found or loaded, or is not a oneDNN 3.x
     */
    public static synchronized LoadedLibrary dnnl() {
        if (dnnl == null) {
            dnnl = load(locateDnnl(System.getProperty(DNNL_PATH_PROPERTY)));
        }
        return dnnl;
    }

    /** Whether oneDNN has been loaded by {@link #dnnl()} in this process (never loads it). */
    public static synchronized boolean dnnlLoaded() {
        return dnnl != null;
    }

    /**
     * Finds oneDNN without loading it.
     *
     * @param explicitPath the value of {@code -Dsdd4j.dnnl.path} (a file or directory), or null
     * @throws NativeLibraryException naming every place looked at, if none holds it
     */
    public static Location locateDnnl(String explicitPath) {
        if (explicitPath != null && !explicitPath.isBlank()) {
            Path given = Path.of(explicitPath.trim()).toAbsolutePath();
            Path file = Files.isDirectory(given) ? given.resolve(DNNL_FILE) : given;
            if (!Files.isRegularFile(file)) {
                throw new NativeLibraryException("oneDNN (" + DNNL_FILE + ") not found at " + file
                        + ", given by -D" + DNNL_PATH_PROPERTY + "=" + explicitPath
                        + ". Point it at the " + DNNL_FILE + " file or the directory holding it,"
                        + " or remove the property to use the system library or the org.bytedeco:dnnl"
                        + " jar on the class path.");
            }
            return new Location(file, "-D" + DNNL_PATH_PROPERTY, findGomp(file.getParent()));
        }
        List<Path> searched = new ArrayList<>();
        for (Path dir : libraryPathDirs()) {
            searched.add(dir);
            Path file = dir.resolve(DNNL_FILE);
            if (Files.isRegularFile(file)) {
                return new Location(file, "library path " + dir, findGomp(dir));
            }
        }
        URL resource = NativeLibraries.class.getClassLoader().getResource(JAR_DIR + DNNL_FILE);
        if (resource != null) {
            return extractFromJar(resource);
        }
        throw new NativeLibraryException("oneDNN (" + DNNL_FILE + ") not found. Looked in -D"
                + DNNL_PATH_PROPERTY + " (not set), the directories " + searched
                + ", and the class path for " + JAR_DIR + DNNL_FILE
                + " (the org.bytedeco:dnnl jar, classifier linux-x86_64). Fix: put that jar on the class"
                + " path (sdd4j's build does), or install oneDNN 3.x, or pass -D" + DNNL_PATH_PROPERTY
                + "=/path/to/" + DNNL_FILE + ".");
    }

    /** Loads a located oneDNN (its OpenMP runtime first) and checks that it speaks the 3.x C API. */
    static LoadedLibrary load(Location location) {
        List<Path> dependencies = new ArrayList<>();
        location.gomp().ifPresent(gomp -> {
            systemLoad(gomp, "libgomp, oneDNN's OpenMP runtime");
            dependencies.add(gomp);
        });
        systemLoad(location.library(), "oneDNN");
        MemorySegment v = dnnl_h.dnnl_version().reinterpret(dnnl_version_t.sizeof());
        int major = dnnl_version_t.major(v);
        String version = major + "." + dnnl_version_t.minor(v) + "." + dnnl_version_t.patch(v);
        MemorySegment hash = dnnl_version_t.hash(v);
        String commit = hash.equals(MemorySegment.NULL) ? "" : hash.reinterpret(128).getString(0).trim();
        if (!commit.isEmpty() && !commit.equals("N/A")) { // builds without git metadata report "N/A"
            version += " (" + commit + ")";
        }
        if (major != DNNL_API_MAJOR) {
            throw new NativeLibraryException(location.library() + " (found via " + location.source()
                    + ") is oneDNN " + version + ", but sdd4j's bindings need oneDNN " + DNNL_API_MAJOR
                    + ".x. Install a oneDNN " + DNNL_API_MAJOR + ".x or point -D" + DNNL_PATH_PROPERTY
                    + " at one.");
        }
        return new LoadedLibrary(DNNL_FILE, location.library(), location.source(), version, dependencies);
    }

    private static void systemLoad(Path file, String what) {
        try {
            System.load(file.toString());
        } catch (UnsatisfiedLinkError e) {
            throw new NativeLibraryException("could not load " + what + " from " + file + ": "
                    + e.getMessage() + ". The file may be for another CPU architecture or miss a"
                    + " dependency (check with: ldd " + file + ").", e);
        }
    }

    private static List<Path> libraryPathDirs() {
        List<Path> dirs = new ArrayList<>();
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String entry : ld.split(":")) {
                if (!entry.isBlank()) {
                    dirs.add(Path.of(entry).toAbsolutePath());
                }
            }
        }
        dirs.addAll(SYSTEM_DIRS);
        return dirs;
    }

    /** The OpenMP runtime oneDNN in {@code dir} links against: its own copy beside it, else the system's. */
    private static Optional<Path> findGomp(Path dir) {
        Path beside = dir.resolve(GOMP_FILE);
        if (Files.isRegularFile(beside)) {
            return Optional.of(beside);
        }
        return libraryPathDirs().stream().map(d -> d.resolve(GOMP_FILE)).filter(Files::isRegularFile).findFirst();
    }

    /**
     * Extracts oneDNN and its libgomp from the bytedeco jar into the per-user cache. Each file is written
     * to a temporary name and atomically renamed, so concurrent first runs never see a partial library;
     * a file already there with the entry's size is reused.
     */
    private static Location extractFromJar(URL resource) {
        try {
            URLConnection connection = resource.openConnection();
            if (!(connection instanceof JarURLConnection jarConnection)) {
                // An exploded class-path directory: load in place.
                Path file = Path.of(resource.toURI());
                return new Location(file, "class path directory " + file.getParent(), findGomp(file.getParent()));
            }
            jarConnection.setUseCaches(false);
            try (JarFile jar = jarConnection.getJarFile()) {
                String jarName = Path.of(jarConnection.getJarFileURL().toURI()).getFileName().toString();
                Path dir = cacheRoot().resolve("dnnl-" + jarVersion(jar, jarName));
                Files.createDirectories(dir);
                Path library = extract(jar, DNNL_FILE, dir);
                Optional<Path> gomp = jar.getJarEntry(JAR_DIR + GOMP_FILE) != null
                        ? Optional.of(extract(jar, GOMP_FILE, dir)) : findGomp(dir);
                return new Location(library, "extracted from " + jarName + " to " + dir, gomp);
            }
        } catch (IOException | java.net.URISyntaxException e) {
            throw new NativeLibraryException("could not extract " + DNNL_FILE + " from " + resource + " into "
                    + cacheRoot() + ": " + e + ". Make that directory writable, set -D" + NATIVE_CACHE_PROPERTY
                    + " to a writable directory, or pass -D" + DNNL_PATH_PROPERTY + "=/path/to/" + DNNL_FILE + ".", e);
        }
    }

    private static Path extract(JarFile jar, String fileName, Path dir) throws IOException {
        JarEntry entry = jar.getJarEntry(JAR_DIR + fileName);
        Path target = dir.resolve(fileName);
        if (Files.isRegularFile(target) && entry.getSize() >= 0 && Files.size(target) == entry.getSize()) {
            return target;
        }
        Path temp = Files.createTempFile(dir, fileName, ".part");
        try {
            try (InputStream in = jar.getInputStream(entry)) {
                Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        return target;
    }

    /** The jar's Maven version (its pom.properties), else its file name: the cache key per release. */
    private static String jarVersion(JarFile jar, String jarName) throws IOException {
        JarEntry entry = jar.getJarEntry(JAR_POM_PROPERTIES);
        if (entry != null) {
            Properties properties = new Properties();
            try (InputStream in = jar.getInputStream(entry)) {
                properties.load(in);
            }
            String version = properties.getProperty("version");
            if (version != null && version.matches("[A-Za-z0-9._-]+")) {
                return version;
            }
        }
        return jarName.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static Path cacheRoot() {
        String explicit = System.getProperty(NATIVE_CACHE_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit).toAbsolutePath();
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("sdd4j").resolve("native");
    }
}
