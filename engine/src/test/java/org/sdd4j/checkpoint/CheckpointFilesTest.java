package org.sdd4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

/**
 * The published checkpoints in shared/, checked against numbers torch computed
 * (tools/scripts/make_checkpoint_fixtures.py prints them).
 */
class CheckpointFilesTest {

    /** Elements of trainable parameters: BatchNorm running statistics and step counters are buffers. */
    static long parameterCount(StateDict sd) {
        return sd.tensors().entrySet().stream()
                .filter(e -> !e.getKey().endsWith("running_mean") && !e.getKey().endsWith("running_var")
                        && !e.getKey().endsWith("num_batches_tracked"))
                .mapToLong(e -> e.getValue().numel())
                .sum();
    }

    static double sum(Tensor t) {
        double s = 0;
        for (long i = 0; i < t.numel(); i++) {
            s += t.getAsDouble(i);
        }
        return s;
    }

    /** Stored values must match torch's exactly. */
    static void assertFirst(Tensor t, double... expected) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals((float) expected[i], (float) t.getAsDouble(i), "element " + i + " of " + t);
        }
    }

    /** Computed values may differ from torch's in the last bits (torch sums the norm in float32, this in double). */
    static void assertFirstClose(Tensor t, double... expected) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], t.getAsDouble(i), 1e-6 * Math.abs(expected[i]) + 1e-9, "element " + i + " of " + t);
        }
    }

    @Test
    void aasist() throws Exception {
        try (StateDict sd = Checkpoints.open(Shared.file("models/aasist/AASIST.pth"))) {
            assertEquals(229, sd.size());
            assertEquals(297_866, parameterCount(sd));
            assertEquals(299_550, sd.numel());
            Tensor posS = sd.require("pos_S", 1, 23, 64);
            assertTrue(posS.data().isMapped(), "tensors must be views of the mapped file");
            assertEquals(17.270202293264447, sum(posS), 1e-9);
            assertFirst(posS, -0.8833863735198975, 0.49376925826072693, 0.17249295115470886);
            Tensor out = sd.require("out_layer.weight", 2, 160);
            assertEquals(-0.5300438744015992, sum(out), 1e-9);
            assertFirst(out, 0.008815627545118332, -0.0013625235296785831, -0.014215218834578991);
            assertFirst(sd.require("out_layer.bias", 2), -0.030945222824811935, -0.03955623134970665);
            Tensor steps = sd.require("first_bn.num_batches_tracked");
            assertEquals(DType.I64, steps.dtype());
            assertEquals(0, steps.rank());
        }
    }

    @Test
    void aasistL() throws Exception {
        try (StateDict sd = Checkpoints.open(Shared.file("models/aasist/AASIST-L.pth"))) {
            assertEquals(229, sd.size());
            assertEquals(85_306, parameterCount(sd));
            Tensor posS = sd.require("pos_S", 1, 23, 24);
            assertEquals(-32.71994174004067, sum(posS), 1e-9);
            assertFirst(posS, -0.14416825771331787, -0.0025178110226988792, 0.1371392160654068);
            assertEquals(0.3504449482570635, sum(sd.require("out_layer.weight", 2, 160)), 1e-9);
        }
    }

    @Test
    void asvspoof5Baseline() throws Exception {
        try (StateDict sd = Checkpoints.open(Shared.file("models/asvspoof5-aasist/best.pth"))) {
            assertEquals(297_866, parameterCount(sd));
            Tensor master1 = sd.require("master1", 1, 1, 64);
            assertEquals(-0.3042562806203932, sum(master1), 1e-9);
            assertFirst(master1, 1.0241916179656982, 0.7708736658096313, 0.1545790284872055);
            assertFirst(sd.require("out_layer.bias", 2), 0.010375809855759144, 0.12274210155010223);
        }
    }

    @Test
    void sslAasistMiniWithWeightNormPositionalConv() throws Exception {
        try (StateDict sd = Checkpoints.open(Shared.file("fixtures/reference/ssl_aasist_mini.pth"))) {
            assertEquals(318, sd.size());
            assertEquals(7_257_248, sd.numel());
            assertEquals(37.884304169303505, sum(sd.require("pos_S", 1, 42, 64)), 1e-8);
            assertEquals(-212.8534172232612, sum(sd.require("ssl_model.model.project_q.weight", 256, 768)), 1e-6);
            StateDict encoder = sd.subset("ssl_model.model.encoder.");
            Tensor w = encoder.resolveWeightNorm("pos_conv.0", 2);
            assertArrayEquals(new int[] {256, 16, 128}, w.shape());
            assertEquals(15.748730327856052, sum(w), 1e-3);
            assertFirstClose(w, -0.020036475732922554, 0.02022368833422661, 0.0032966709695756435);
            assertEquals(-0.0012910497607663274, w.getFloat((5L * 16 + 3) * 128 + 100), 1e-7);
        }
    }

    @Test
    void antiDeepfakeMini() throws Exception {
        try (StateDict sd = Checkpoints.open(Shared.file("fixtures/reference/antideepfake_mini.pth"))) {
            assertEquals(56, sd.size());
            assertEquals(5_944_642, sd.numel());
            Tensor fc = sd.require("proj_fc.weight", 2, 192);
            assertEquals(-0.211617122287862, sum(fc), 1e-7);
            assertFirst(fc, -0.022978775203227997, 0.03937971219420433, 0.030618784949183464);
            Tensor w = sd.resolveWeightNorm("m_ssl.model.encoder.pos_conv.0", 2);
            assertEquals(0.6486387592230898, sum(w), 1e-3);
            assertFirstClose(w, -0.002350511960685253, -0.01709696836769581, 0.018705716356635094);
            assertEquals(0.016570216044783592, w.getFloat((5L * 12 + 3) * 128 + 100), 1e-7);
        }
    }
}
