package org.sdd4j.backend.cuda;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sdd4j.backend.Activation;
import org.sdd4j.backend.ReferenceBackend;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.tensor.TestTensors;
import org.sdd4j.train.Adam;
import org.sdd4j.train.GradClip;
import org.sdd4j.train.Parameters;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Each kernel family against {@link ReferenceBackend} (or, for GRPO, which has no CPU op yet, a plain
 * double-precision definition here; for Adam, {@link Adam} itself, bit for bit) on fresh random inputs,
 * with outputs poisoned first so an unwritten element fails. Skipped, with the reason, without a usable GPU.
 */
class CudaBackendTest {
    private static CudaBackend gpu;
    private final ReferenceBackend ref = new ReferenceBackend();
    private final Random random = new Random(System.nanoTime());
    private final Arena arena = Arena.ofShared();

    @BeforeAll
    static void openGpu() {
        gpu = TestGpu.open(MatmulPrecision.fromProperties());
    }

    /** Per test rather than in @BeforeAll, so that the report lists each skipped test with the reason. */
    @BeforeEach
    void requireGpu() {
        TestGpu.assume();
    }

    @AfterEach
    void closeArena() {
        arena.close(); // gives this test's device tensors back
    }

    @AfterAll
    static void closeGpu() {
        if (gpu != null) {
            gpu.close();
        }
    }

    private Tensor randn(float scale, int... shape) {
        return TestTensors.gaussian(arena, random, scale, shape);
    }

    /** A raw device buffer filled with NaN (the loss kernels take buffers). */
    private DeviceBuffer poisonedBuffer(long count) {
        DeviceBuffer b = gpu.deviceMemory().take(count * 4);
        gpu.runtime().fill32(b.address(), Float.floatToRawIntBits(Float.NaN), count);
        return b;
    }

    private Tensor download(DeviceBuffer b, int... shape) {
        Tensor t = Tensor.zeros(arena, DType.F32, shape);
        gpu.download(b, t);
        return t;
    }

    /** ||a - b|| / ||b||, NaN-failing. */
    private static void assertClose(Tensor expected, Tensor actual, double tolerance, String what) {
        double num = 0, den = 0;
        for (long i = 0; i < expected.numel(); i++) {
            double e = expected.getFloat(i), a = actual.getFloat(i);
            assertFalse(Double.isNaN(a), what + ": NaN at " + i);
            num += (a - e) * (a - e);
            den += e * e;
        }
        double rel = Math.sqrt(num / Math.max(den, 1e-30));
        assertTrue(rel < tolerance, what + ": relative error " + rel + " >= " + tolerance);
    }

    /** A device copy of a host tensor. */
    private Tensor dev(Tensor host) {
        return host == null ? null : gpu.toDevice(host, arena);
    }

    /** A device tensor filled with NaN, so that an element the kernel forgets to write fails the comparison. */
    private Tensor poisoned(int... shape) {
        Tensor t = gpu.allocate(arena, false, shape);
        gpu.fill(t, Float.NaN);
        return t;
    }

    private Tensor host(Tensor device) {
        return gpu.toHost(device, arena);
    }

    @Test
    void activationsForwardAndBackward() {
        for (Activation f : Activation.values()) {
            int n = 100_003;
            Tensor x = randn(3f, n), dy = randn(1f, n), dx0 = randn(1f, n);
            Tensor y = Tensor.zeros(arena, DType.F32, n), dx = Tensor.zeros(arena, DType.F32, n);
            dx.copyFrom(dx0);
            ref.activation(f, x, y);
            ref.activationBackward(f, x, y, dy, dx);
            Tensor gx = dev(x), gy = poisoned(n), gdy = dev(dy), gdx = dev(dx0);
            gpu.activation(f, gx, gy);
            gpu.activationBackward(f, gx, gy, gdy, gdx);
            assertClose(y, host(gy), 1e-6, f + " forward");
            assertClose(dx, host(gdx), 1e-5, f + " backward");
            // Without the output, as Ops passes it for all but sigmoid and tanh: recomputed where needed.
            Tensor gdx2 = dev(dx0);
            gpu.activationBackward(f, gx, null, gdy, gdx2);
            assertClose(dx, host(gdx2), 1e-5, f + " backward without y");
        }
    }

    @Test
    void softmaxForwardAndBackward() {
        int rows = 37, d = 1000;
        Tensor x = randn(4f, rows, d), dy = randn(1f, rows, d);
        Tensor y = Tensor.zeros(arena, DType.F32, rows, d), dx = randn(1f, rows, d);
        Tensor gx = dev(x), gy = poisoned(rows, d), gdy = dev(dy), gdx = dev(dx);
        ref.softmax(x, y);
        ref.softmaxBackward(y, dy, dx);
        gpu.softmax(gx, gy);
        gpu.softmaxBackward(gy, gdy, gdx);
        assertClose(y, host(gy), 1e-5, "softmax");
        assertClose(dx, host(gdx), 1e-5, "softmax backward");
    }

    @Test
    void layerNormForwardAndBackwardWithAndWithoutAffine() {
        int rows = 50, d = 768;
        for (boolean affine : new boolean[] {true, false}) {
            Tensor x = randn(2f, rows, d), w = affine ? randn(1f, d) : null, b = affine ? randn(1f, d) : null;
            Tensor dy = randn(1f, rows, d), y = Tensor.zeros(arena, DType.F32, rows, d);
            Tensor dx = randn(1f, rows, d), dw = randn(1f, d), db = randn(1f, d);
            Tensor gy = poisoned(rows, d), gdx = dev(dx), gdw = dev(dw), gdb = dev(db);
            ref.layerNorm(x, w, b, 1e-5f, y);
            ref.layerNormBackward(x, w, 1e-5f, dy, dx, dw, db);
            gpu.layerNorm(dev(x), dev(w), dev(b), 1e-5f, gy);
            gpu.layerNormBackward(dev(x), dev(w), 1e-5f, dev(dy), gdx, gdw, gdb);
            assertClose(y, host(gy), 1e-5, "layer norm affine=" + affine);
            assertClose(dx, host(gdx), 1e-4, "layer norm dx affine=" + affine);
            assertClose(dw, host(gdw), 1e-4, "layer norm dweight affine=" + affine);
            assertClose(db, host(gdb), 1e-4, "layer norm dbias affine=" + affine);
        }
    }

    @Test
    void groupNormForwardAndBackward() {
        int batch = 3, c = 12, len = 333, groups = 4;
        Tensor x = randn(2f, batch, c, len), w = randn(1f, c), b = randn(1f, c), dy = randn(1f, batch, c, len);
        Tensor y = Tensor.zeros(arena, DType.F32, batch, c, len), dx = randn(1f, batch, c, len);
        Tensor dw = randn(1f, c), db = randn(1f, c);
        Tensor gy = poisoned(batch, c, len), gdx = dev(dx), gdw = dev(dw), gdb = dev(db);
        ref.groupNorm(x, groups, w, b, 1e-5f, y);
        ref.groupNormBackward(x, groups, w, 1e-5f, dy, dx, dw, db);
        gpu.groupNorm(dev(x), groups, dev(w), dev(b), 1e-5f, gy);
        gpu.groupNormBackward(dev(x), groups, dev(w), 1e-5f, dev(dy), gdx, gdw, gdb);
        assertClose(y, host(gy), 1e-5, "group norm");
        assertClose(dx, host(gdx), 1e-4, "group norm dx");
        assertClose(dw, host(gdw), 1e-4, "group norm dweight");
        assertClose(db, host(gdb), 1e-4, "group norm dbias");
    }

    @Test
    void weightedCrossEntropyMatchesTheTapedCpuLoss() {
        int batch = 300, classes = 2;
        Tensor logits = randn(2f, batch, classes);
        int[] labels = random.ints(batch, 0, classes).toArray();
        float[] weights = {0.1f, 0.9f};
        // CPU: Losses.crossEntropy taped, its gradient read back through the tape.
        Tensor expectedLoss, expectedGrad;
        try (org.sdd4j.backend.Ops ops = org.sdd4j.backend.Ops.training(ref, true, null)) {
            ops.tape().watch(logits);
            Tensor loss = org.sdd4j.train.Losses.crossEntropy(ops, logits, labels, weights);
            ops.tape().backward(loss);
            expectedLoss = Tensor.zeros(arena, DType.F32, 1);
            expectedLoss.copyFrom(loss);
            expectedGrad = Tensor.zeros(arena, DType.F32, batch, classes);
            expectedGrad.copyFrom(ops.tape().grad(logits));
        }
        Tensor one = Tensor.zeros(arena, DType.F32, 1);
        one.setFloat(0, 1f);
        DeviceBuffer gz = gpu.upload(logits), gl = gpu.upload(labels), gw = gpu.upload(Tensor.of(arena, weights, 2));
        DeviceBuffer loss = poisonedBuffer(1), dloss = gpu.upload(one), dz = gpu.zeros((long) batch * classes);
        gpu.crossEntropy(gz, gl, gw, loss, batch, classes);
        gpu.crossEntropyBackward(gz, gl, gw, dloss, dz, batch, classes);
        assertClose(expectedLoss, download(loss, 1), 1e-5, "cross-entropy");
        assertClose(expectedGrad, download(dz, batch, classes), 1e-5, "cross-entropy gradient");
    }

    @Test
    void grpoLossAndGradientMatchTheirDefinition() {
        int batch = 14, group = 64, classes = 2, n = batch * group;
        float eps = 0.2f, beta = 0.04f;
        Tensor logits = randn(1.5f, batch, classes);
        int[] actions = random.ints(n, 0, classes).toArray();
        Tensor old = randn(0.3f, n), refLogp = randn(0.3f, n), adv = randn(1f, n);
        // Old and reference log-probabilities near the policy's own, so both clip branches occur.
        double[] dz = new double[batch * classes];
        double total = 0;
        for (int b = 0; b < batch; b++) {
            double m = Math.max(logits.getFloat(2L * b), logits.getFloat(2L * b + 1));
            double lse = m + Math.log(Math.exp(logits.getFloat(2L * b) - m) + Math.exp(logits.getFloat(2L * b + 1) - m));
            for (int g = 0; g < group; g++) {
                int s = b * group + g;
                double logp = logits.getFloat((long) b * classes + actions[s]) - lse;
                old.setFloat(s, (float) (logp + old.getFloat(s)));
                refLogp.setFloat(s, (float) (logp + refLogp.getFloat(s)));
                double ratio = Math.exp(logp - old.getFloat(s)), a = adv.getFloat(s);
                double s1 = ratio * a, s2 = Math.min(Math.max(ratio, 1 - eps), 1 + eps) * a;
                double e = Math.exp(refLogp.getFloat(s) - logp);
                total += Math.min(s1, s2) - beta * (e - (refLogp.getFloat(s) - logp) - 1);
                double dobj = (s1 <= s2 ? s1 : 0) - beta * (1 - e);
                for (int j = 0; j < classes; j++) {
                    double p = Math.exp(logits.getFloat((long) b * classes + j) - lse);
                    dz[b * classes + j] += -dobj / n * ((j == actions[s] ? 1 : 0) - p);
                }
            }
        }
        Tensor expectedLoss = Tensor.of(arena, new float[] {(float) (-total / n)}, 1);
        Tensor expectedGrad = Tensor.zeros(arena, DType.F32, batch, classes);
        for (int i = 0; i < dz.length; i++) {
            expectedGrad.setFloat(i, (float) dz[i]);
        }
        DeviceBuffer gz = gpu.upload(logits), ga = gpu.upload(actions), go = gpu.upload(old), gr = gpu.upload(refLogp);
        DeviceBuffer gadv = gpu.upload(adv), loss = poisonedBuffer(1), dloss = gpu.upload(Tensor.of(arena, new float[] {1f}, 1));
        DeviceBuffer gdz = gpu.zeros((long) batch * classes);
        gpu.grpoLoss(gz, ga, go, gr, gadv, loss, batch, group, classes, eps, beta);
        gpu.grpoLossBackward(gz, ga, go, gr, gadv, dloss, gdz, batch, group, classes, eps, beta);
        assertClose(expectedLoss, download(loss, 1), 1e-4, "GRPO loss");
        assertClose(expectedGrad, download(gdz, batch, classes), 1e-4, "GRPO gradient");
    }

    @Test
    void adamAndAdamWOnDeviceParametersAreBitIdenticalToTheHostAndClipAlike() {
        for (Adam.Config config : new Adam.Config[] {Adam.Config.adam(1e-3, 1e-4), Adam.Config.adamW(1e-3, 0.01)}) {
            Map<String, Tensor> map = new LinkedHashMap<>();
            map.put("w", randn(1f, 10_007));
            map.put("b", randn(1f, 3, 5));
            StateDict sd = StateDict.of(Path.of("gpu-test"), arena, map);
            try (Parameters host = Parameters.copyOf(sd, k -> true);
                 Parameters device = Parameters.copyOf(sd, k -> true, gpu);
                 Adam onHost = new Adam(host, config); Adam onDevice = new Adam(device, config)) {
                assertEquals(org.sdd4j.tensor.Device.CUDA, device.entries().getFirst().value().device());
                for (int t = 1; t <= 3; t++) {
                    for (int i = 0; i < host.entries().size(); i++) {
                        Tensor g = randn(0.1f, host.entries().get(i).grad().shape());
                        host.entries().get(i).grad().copyFrom(g);
                        device.load(device.entries().get(i).grad(), g);
                    }
                    // The norm's sums run in another order on the device: equal to rounding, not bit for bit.
                    double hostNorm = GradClip.clip(host, 1e9), deviceNorm = GradClip.clip(device, 1e9);
                    assertEquals(hostNorm, deviceNorm, 1e-12 * hostNorm, "gradient norm");
                    onHost.step(1e-3, x -> true);
                    onDevice.step(1e-3, x -> true);
                }
                for (int k = 0; k < host.entries().size(); k++) {
                    assertBitIdentical(host.entries().get(k).value(), device.toHost(device.entries().get(k).value(),
                            arena), config.variant() + " " + host.entries().get(k).name());
                }
                // A clip that scales: the device's gradients shrink by the same factor, to rounding.
                GradClip.clip(host, 0.5);
                GradClip.clip(device, 0.5);
                for (int k = 0; k < host.entries().size(); k++) {
                    Tensor expected = host.entries().get(k).grad();
                    Tensor actual = device.toHost(device.entries().get(k).grad(), arena);
                    for (long i = 0; i < expected.numel(); i++) {
                        assertEquals(expected.getFloat(i), actual.getFloat(i), 1e-6f * Math.abs(expected.getFloat(i)),
                                "clipped gradient " + host.entries().get(k).name() + "[" + i + "]");
                    }
                }
            }
        }
    }

    private static void assertBitIdentical(Tensor expected, Tensor actual, String what) {
        for (long i = 0; i < expected.numel(); i++) {
            assertEquals(Float.floatToRawIntBits(expected.getFloat(i)), Float.floatToRawIntBits(actual.getFloat(i)),
                    what + "[" + i + "]: host " + expected.getFloat(i) + ", device " + actual.getFloat(i));
        }
    }
}
