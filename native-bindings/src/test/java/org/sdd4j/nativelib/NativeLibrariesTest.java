package org.sdd4j.nativelib;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

class NativeLibrariesTest {
    @Test
    void explicitDirectoryWithoutTheLibraryFailsNamingTheFile(@TempDir Path dir) {
        NativeLibraryException e = assertThrows(NativeLibraryException.class,
                () -> NativeLibraries.locateDnnl(dir.toString()));
        assertTrue(e.getMessage().contains(dir.resolve("libdnnl.so.3").toString()), e.getMessage());
    }

    @Test
    void explicitFileIsTakenAsIsWithTheOpenMpRuntimeBesideIt(@TempDir Path dir) throws Exception {
        Path lib = Files.createFile(dir.resolve("libdnnl.so.3"));
        Path gomp = Files.createFile(dir.resolve("libgomp.so.1"));
        NativeLibraries.Location location = NativeLibraries.locateDnnl(dir.toString());
        assertEquals(lib, location.library());
        assertEquals(gomp, location.gomp().orElseThrow());
        assertTrue(location.source().contains(NativeLibraries.DNNL_PATH_PROPERTY));
    }

    @Test
    void loadsOneDnn3AndReportsItsVersion() {
        LoadedLibrary dnnl = NativeLibraries.dnnl();
        assertTrue(dnnl.version().matches("3\\.\\d+\\.\\d+.*"), dnnl.describe());
        assertTrue(Files.isRegularFile(dnnl.path()), dnnl.describe());
        assertSame(dnnl, NativeLibraries.dnnl(), "loaded once per process");
    }
}
