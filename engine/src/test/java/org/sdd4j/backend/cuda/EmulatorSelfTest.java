package org.sdd4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The host kernel emulator itself (kernels/host): its block and warp reductions give the hardware's results,
 * and the synchronisation mistakes it exists to catch are reported with the kernel's name instead of hanging
 * or passing; a missing barrier changes the result when the schedule is reversed. Runs wherever the build made the
 * emulator, GPU or not.
 */
@org.junit.jupiter.api.Tag(TestGpu.HOST_BUILD)
class EmulatorSelfTest {
    private EmulatedGpuRuntime gpu;
    private final Arena arena = Arena.ofConfined();

    @BeforeEach
    void open() {
        assumeTrue(TestGpu.emulatorLibrary() != null, "no host kernel emulator in this build (needs g++)");
        gpu = new EmulatedGpuRuntime(TestGpu.emulatorLibrary(), MatmulPrecision.FLOAT32);
    }

    @AfterEach
    void close() {
        arena.close();
        if (gpu != null) {
            gpu.close(); // also fails when a test left a block unfreed
        }
    }

    private long floats(int n) {
        return gpu.allocate(4L * n);
    }

    private MemorySegment view(long address, int n) {
        return MemorySegment.ofAddress(address).reinterpret(4L * n);
    }

    private void launch(String kernel, int grid, int block, Object... args) {
        gpu.launch(kernel, grid, block, args);
    }

    @Test
    void blockReductionsSumEveryThreadOfEveryBlock() {
        int grid = 3, block = 160; // five warps: the second stage of block_sum reduces a partial warp
        long x = floats(grid * block), out = floats(grid);
        MemorySegment xs = view(x, grid * block);
        for (int i = 0; i < grid * block; i++) {
            xs.setAtIndex(ValueLayout.JAVA_FLOAT, i, i % 7 - 3 + 0.25f * (i / block));
        }
        launch("selftest_block_sum", grid, block, new CudaKernels.Ptr(x), new CudaKernels.Ptr(out));
        for (int b = 0; b < grid; b++) {
            float expected = 0;
            for (int t = 0; t < block; t++) {
                expected += xs.getAtIndex(ValueLayout.JAVA_FLOAT, b * block + t);
            }
            assertEquals(expected, view(out, grid).getAtIndex(ValueLayout.JAVA_FLOAT, b), 1e-4, "block " + b);
        }
        gpu.free(x);
        gpu.free(out);
    }

    @Test
    void threadsAtDifferentSyncthreadsCallsAreReported() {
        assertReported("selftest_divergent_barrier", 64, "divergent barrier");
    }

    @Test
    void aShuffleInADivergedWarpIsReported() {
        assertReported("selftest_diverged_shuffle", 32, "diverged");
    }

    @Test
    void aWritePastTheEndOfABlockIsReportedWithTheKernel() {
        int n = 100;
        long x = floats(n);
        var e = assertThrows(IllegalStateException.class,
                () -> launch("selftest_write_past_end", 1, 64, new CudaKernels.Ptr(x), n));
        assertTrue(e.getMessage().contains("selftest_write_past_end") && e.getMessage().contains("wrote past the end"),
                e.getMessage());
        // Freeing the damaged block reports it again, and frees it all the same.
        assertThrows(IllegalStateException.class, () -> gpu.free(x));
    }

    @Test
    void theCachingAllocatorHandsOutExactBlocksHereSoGuardsSitAtTheTensorsEnd() {
        try (DeviceMemory memory = new DeviceMemory(gpu)) {
            DeviceBuffer small = memory.take(10);
            assertEquals(12, small.bytes(), "4-byte granularity, not the GPU's 512");
            memory.give(small);
            DeviceBuffer larger = memory.take(16);
            assertTrue(larger.address() != small.address() || larger.bytes() == 16, "no reuse at another size");
            memory.give(larger);
        }
    }

    /** Launching {@code kernel} (one float output per thread) fails with a message naming it and {@code problem}. */
    private void assertReported(String kernel, int block, String problem) {
        long out = floats(block);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> launch(kernel, 1, block, new CudaKernels.Ptr(out)));
        assertTrue(e.getMessage().contains(kernel) && e.getMessage().contains(problem), e.getMessage());
        gpu.free(out);
    }

    /**
     * A kernel that reads a neighbour's shared slot without a barrier after the writes (a race on a GPU) gives one
     * answer in thread order and another in reverse: the difference ScheduleIndependenceTest looks for in the real
     * kernels. The first launch fills the slots, so the in-order launch after it reads the previous launch's values.
     */
    @Test
    void aMissingBarrierShowsAsADifferenceBetweenSchedules() {
        int block = 64;
        long out = floats(block);
        try {
            float[][] seen = new float[2][];
            launch("selftest_missing_barrier", 1, block, new CudaKernels.Ptr(out), 0f);
            for (int reversed = 0; reversed < 2; reversed++) {
                gpu.reversed(reversed == 1);
                launch("selftest_missing_barrier", 1, block, new CudaKernels.Ptr(out), 100f);
                seen[reversed] = view(out, block).toArray(ValueLayout.JAVA_FLOAT);
            }
            assertEquals(1f, seen[0][0], "in order, thread 0 reads its neighbour's slot before this launch wrote it");
            assertEquals(101f, seen[1][0], "reversed, thread 0 reads it after");
        } finally {
            gpu.reversed(false);
            gpu.free(out);
        }
    }

    @Test
    void launchesTheHardwareWouldRefuseAreRefused() {
        long out = floats(32);
        for (int block : new int[] {0, 1025}) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> launch("selftest_block_sum", 1, block, new CudaKernels.Ptr(out), new CudaKernels.Ptr(out)));
            assertTrue(e.getMessage().contains("invalid launch"), e.getMessage());
        }
        assertThrows(IllegalStateException.class, () -> launch("no_such_kernel", 1, 32));
        gpu.free(out);
    }
}
