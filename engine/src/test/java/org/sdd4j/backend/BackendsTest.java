package org.sdd4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.sdd4j.backend.cpu.CpuBackend;
import org.sdd4j.backend.cpu.dnnl.DnnlBackend;

/** Backend selection: the default rule, forcing each provider, and the errors. */
class BackendsTest {

    @Test
    void defaultIsOneDnnWhenItLoads() {
        // The build puts the oneDNN jar on the class path, so the default must find it.
        BackendChoice c = Backends.select(null, 2);
        try (Backend b = c.backend()) {
            assertEquals(Backends.Provider.DNNL, c.provider());
            assertInstanceOf(DnnlBackend.class, b);
            assertEquals(2, b.threads());
            String d = c.describe();
            assertTrue(d.contains("backend: dnnl") && d.contains("2 threads") && d.contains("libdnnl.so.3")
                    && d.contains("ISA ") && d.contains(FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit"), d);
        }
    }

    @Test
    void propertyForcesAProvider() {
        BackendChoice vector = Backends.select("vector", 3);
        try (Backend b = vector.backend()) {
            assertEquals(CpuBackend.class, b.getClass());
            assertEquals(3, b.threads());
            assertTrue(vector.describe().contains("forced by -Dsdd4j.backend=vector"), vector.describe());
            assertTrue(vector.oneDnn().isEmpty());
        }
        BackendChoice ref = Backends.select(" Reference ", 4);
        assertInstanceOf(ReferenceBackend.class, ref.backend());
        assertEquals(1, ref.backend().threads());
        BackendChoice dnnl = Backends.select("dnnl", 1);
        try (Backend b = dnnl.backend()) {
            assertInstanceOf(DnnlBackend.class, b);
            assertTrue(dnnl.oneDnn().contains("libdnnl.so.3"), dnnl.oneDnn());
        }
    }

    @Test
    void systemPropertyIsRead() {
        String before = System.getProperty(Backends.PROPERTY);
        System.setProperty(Backends.PROPERTY, "vector");
        try (Backend b = Backends.cpu(1)) {
            assertEquals(CpuBackend.class, b.getClass());
        } finally {
            if (before == null) {
                System.clearProperty(Backends.PROPERTY);
            } else {
                System.setProperty(Backends.PROPERTY, before);
            }
        }
    }

    @Test
    void badValuesAreClearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.select("cuda", 1));
        assertTrue(e.getMessage().contains("-Dsdd4j.backend=cuda") && e.getMessage().contains("dnnl"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backends.select(null, 0));
    }
}
