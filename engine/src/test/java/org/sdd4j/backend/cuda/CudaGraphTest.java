package org.sdd4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.sdd4j.api.FixedShapeScorer;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.backend.Activation;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.SharedFixtures;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.model.aasist.Aasist;
import org.sdd4j.model.aasist.AasistConfig;
import org.sdd4j.model.ssl.SslAasist;
import org.sdd4j.tensor.Tensor;

/**
 * CUDA graphs: capture records without running, a replay runs the recording on whatever the input holds, the
 * blocks a recording reused stay out of the allocator while the graph lives, a capture that would copy to the
 * host fails cleanly, and a captured forward pass of AASIST-L and of the mini SSL-AASIST gives the eager pass's
 * logits. On the emulator, captures record each operation and refuse host copies as real ones do.
 */
class CudaGraphTest extends GpuOpsFixture {

    @Test
    void aReplayRunsTheRecordingOnTheCurrentInput() {
        Tensor x = dev(randn(1000)), y = gpu.toDevice(Tensor.zeros(arena, 1000), arena);
        try (CudaGraph graph = gpu.capture(() -> gpu.activation(Activation.TANH, x, y))) {
            assertEquals(0f, gpu.toHost(y, arena).getFloat(7), "capture runs nothing");
            for (int round = 0; round < 2; round++) {
                Tensor input = randn(1000), expected = Tensor.zeros(arena, 1000);
                ref.activation(Activation.TANH, input, expected);
                gpu.copy(input, x);
                graph.launch();
                Tensor actual = gpu.toHost(y, arena);
                for (int i = 0; i < 1000; i++) {
                    assertEquals(expected.getFloat(i), actual.getFloat(i), 1e-6f, "replay " + round + " at " + i);
                }
            }
        }
    }

    @Test
    void blocksTheRecordingReusedStayTheGraphsUntilItCloses() {
        DeviceMemory memory = gpu.deviceMemory();
        long[] scratch = new long[1];
        CudaGraph graph = gpu.capture(() -> {
            Tensor t = gpu.take(false, 12_345);
            scratch[0] = t.data().address();
            gpu.fill(t, 1f);
            gpu.release(t);
        });
        DeviceBuffer other = memory.take(4L * 12_345);
        assertNotEquals(scratch[0], other.address(), "a replay would overwrite a block handed out after capture");
        assertTrue(graph.reservedBytes() >= 4L * 12_345);
        graph.close();
        DeviceBuffer again = memory.take(4L * 12_345);
        assertEquals(scratch[0], again.address(), "closing the graph gives its block back");
        memory.give(other);
        memory.give(again);
    }

    @Test
    void aCaptureThatCopiesToTheHostFailsAndLeavesTheBackendUsable() {
        Tensor x = dev(randn(10));
        assertThrows(IllegalStateException.class, () -> gpu.capture(() -> gpu.toHost(x, arena)));
        Tensor y = gpu.toDevice(Tensor.zeros(arena, 10), arena);
        gpu.activation(Activation.ABS, x, y);
        assertTrue(gpu.toHost(y, arena).getFloat(3) >= 0, "the stream runs eagerly again");
    }

    @Test
    void capturedForwardPassesGiveTheEagerLogits() throws Exception {
        check("models/aasist/AASIST-L.pth", sd -> new Aasist(sd, AasistConfig.AASIST_L));
        check("fixtures/reference/ssl_aasist_mini.pth", SslAasist::new);
    }

    private void check(String checkpoint, Function<StateDict, SpoofModel> build) throws Exception {
        int samples = 16_000;
        try (StateDict sd = Checkpoints.open(SharedFixtures.root().resolve(checkpoint))) {
            SpoofModel model = build.apply(sd);
            try (FixedShapeScorer scorer = new FixedShapeScorer(model, gpu, 1, samples)) {
                assertTrue(scorer.graphed());
                for (String clip : new String[] {"espeak_1.wav", "real_Front_Center.wav"}) {
                    float[] wav = Arrays.copyOf(AudioReader.read(SharedFixtures.audio(clip)).samples(), samples);
                    Tensor input = Tensor.of(arena, wav, 1, samples);
                    float[] eager;
                    try (Ops ops = new Ops(gpu)) {
                        eager = ops.download(model.logits(ops, ops.upload(input))).toFloatArray();
                    }
                    float[] replayed = scorer.logits(input);
                    System.out.printf("%s, %s: eager %s, graph %s%n", checkpoint, clip, Arrays.toString(eager),
                            Arrays.toString(replayed));
                    assertArrayEquals(eager, replayed, 1e-5f, checkpoint + " " + clip);
                }
            }
        }
    }
}
