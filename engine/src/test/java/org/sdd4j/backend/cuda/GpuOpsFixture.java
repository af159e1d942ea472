package org.sdd4j.backend.cuda;

import java.lang.foreign.Arena;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.sdd4j.backend.ReferenceBackend;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.tensor.TestTensors;

/**
 * What the GPU tests share: one float32 {@link CudaBackend} per test class (on the GPU, or the kernel
 * emulator; see {@link TestGpu}), the reference to compare with, fresh random inputs, and one arena per test
 * that host and device tensors live in. Each test is skipped, with the reason, when there is neither.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class GpuOpsFixture {
    protected CudaBackend gpu;
    protected final ReferenceBackend ref = new ReferenceBackend();
    protected final Random random = new Random(System.nanoTime());
    protected Arena arena;

    @BeforeAll
    void openGpu() {
        gpu = TestGpu.open(MatmulPrecision.FLOAT32);
    }

    /** Per test rather than in @BeforeAll, so that the report lists each skipped test with the reason. */
    @BeforeEach
    void requireGpu() {
        TestGpu.assume();
        arena = Arena.ofShared();
    }

    @AfterEach
    void freeArena() {
        if (arena != null) {
            arena.close();
            arena = null;
        }
    }

    @AfterAll
    void closeGpu() {
        if (gpu != null) {
            gpu.close();
        }
    }

    /** A host tensor of standard normal values. */
    protected Tensor randn(int... shape) {
        return TestTensors.gaussian(arena, random, 1, shape);
    }

    /** A host int32 tensor {@code [rows, cols]} of {@code values}. */
    protected Tensor indices(int[][] values) {
        Tensor t = Tensor.zeros(arena, org.sdd4j.tensor.DType.I32, values.length, values[0].length);
        for (int q = 0; q < values.length; q++) {
            for (int r = 0; r < values[q].length; r++) {
                t.data().setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, (long) q * values[q].length + r, values[q][r]);
            }
        }
        return t;
    }

    /** A device copy of {@code host}, freed with the test's arena. */
    protected Tensor dev(Tensor host) {
        return gpu.toDevice(host, arena);
    }
}
