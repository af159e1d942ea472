package org.sdd4j.backend.cuda;

import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.SharedFixtures;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.model.aasist.Aasist;
import org.sdd4j.model.aasist.AasistConfig;
import org.sdd4j.model.ssl.SslAasist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kernels have no schedule-dependent races: a whole training step (forward, backward, clipping, AdamW) gives the
 * same bits whether the emulator runs each launch's threads and blocks in index order or in reverse. A kernel that
 * reads what another thread of its block writes without a barrier between, or what another block writes, would
 * differ (EmulatorSelfTest shows such a kernel failing this). The emulator cannot reorder within a warp's lockstep
 * or model memory ordering; that part is left to the GPU run.
 */
@Tag(TestGpu.HOST_BUILD)
class ScheduleIndependenceTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({"aasist-l, models/aasist/AASIST-L.pth", "ssl-aasist-mini, fixtures/reference/ssl_aasist_mini.pth"})
    void aTrainingStepIsTheSameInEitherSchedule(String name, String checkpoint) throws Exception {
        assumeTrue(TestGpu.emulatorLibrary() != null, "no host kernel emulator in this build (needs g++)");
        Function<StateDict, SpoofModel> build = name.equals("aasist-l")
                ? sd -> new Aasist(sd, AasistConfig.AASIST_L) : SslAasist::new;
        List<float[]> batch = CudaTrainingTest.twoClips();
        int[] labels = {0, 1};
        EmulatedGpuRuntime emulator = new EmulatedGpuRuntime(TestGpu.emulatorLibrary(), MatmulPrecision.FLOAT32);
        try (CudaBackend gpu = new CudaBackend(emulator);
             StateDict source = Checkpoints.open(SharedFixtures.root().resolve(checkpoint))) {
            CudaTrainingTest.Outcome inOrder = CudaTrainingTest.step("sft", source, build, gpu, batch, labels);
            emulator.reversed(true);
            CudaTrainingTest.Outcome reversed = CudaTrainingTest.step("sft", source, build, gpu, batch, labels);
            assertEquals(inOrder.loss(), reversed.loss(), 0.0, name + " loss");
            assertEquals(inOrder.gradNorm(), reversed.gradNorm(), 0.0, name + " gradient norm");
            int differing = 0, first = -1;
            for (int i = 0; i < inOrder.after().length; i++) {
                if (Float.floatToRawIntBits(inOrder.after()[i]) != Float.floatToRawIntBits(reversed.after()[i])) {
                    differing++;
                    first = first < 0 ? i : first;
                }
            }
            System.out.printf("%s: a training step in reversed schedule: %d of %d weights differ%n", name, differing,
                    inOrder.after().length);
            assertEquals(0, differing, name + ": weights differ between schedules, first at flat index " + first);
        } finally {
            emulator.reversed(false);
        }
    }
}
