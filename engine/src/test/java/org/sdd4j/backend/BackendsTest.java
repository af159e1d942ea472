package org.sdd4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.sdd4j.backend.cpu.CpuBackend;
import org.sdd4j.backend.cpu.dnnl.DnnlBackend;
import org.sdd4j.tensor.Tensor;

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
    void opsScopesWorkWithMultiThreadedProviders() {
        // Ops' own arena is touched by the providers' worker threads: a confined one would throw.
        for (String provider : new String[] {"vector", "dnnl"}) {
            try (Backend b = Backends.select(provider, 2).backend(); Ops ops = new Ops(b)) {
                Tensor x = ops.zeros(1, 4, 6, 700);
                for (long i = 0; i < x.numel(); i++) {
                    x.setFloat(i, (i % 7) - 3f);
                }
                Tensor w = ops.zeros(8, 4, 2, 3);
                for (long i = 0; i < w.numel(); i++) {
                    w.setFloat(i, 0.5f);
                }
                Tensor y = ops.act(Activation.ABS, ops.conv2d(x, w, null, 1, 1, 1, 1, 1));
                assertEquals(ops.linear(ops.zeros(3, 700), ops.zeros(5, 700), null).dim(1), 5);
                assertTrue(y.getFloat(y.numel() / 2) >= 0, provider);
            }
        }
    }

    @Test
    void cudaIsChosenOnlyWhenUsableAndComplete() {
        org.sdd4j.nativelib.CudaAvailability gpu = org.sdd4j.nativelib.CudaLibraries.probe();
        if (!gpu.usable()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.select("cuda", 1));
            assertTrue(e.getMessage().contains(gpu.reason()), e.getMessage());
        }
        try (Backend b = Backends.select(null, 1).backend()) {
            boolean expectGpu = gpu.usable() && org.sdd4j.backend.cuda.CudaBackend.VERIFIED_ON_HARDWARE
                    && org.sdd4j.backend.cuda.CudaBackend.NOT_ON_GPU.isEmpty();
            assertEquals(expectGpu, b.device() == org.sdd4j.tensor.Device.CUDA, b.name());
        }
        String reason = Backends.select(null, 1).reason();
        assertTrue(reason.contains("CUDA"), reason);
    }

    @Test
    void badValuesAreClearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.select("tpu", 1));
        assertTrue(e.getMessage().contains("-Dsdd4j.backend=tpu") && e.getMessage().contains("cuda"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backends.select(null, 0));
    }
}
