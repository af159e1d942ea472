package org.sdd4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

/** The small committed fixtures made by tools/scripts/make_checkpoint_fixtures.py with torch and safetensors. */
class FixturesTest {
    @TempDir
    Path dir;

    static void assertSameValues(Tensor expected, Tensor actual, double tolerance) {
        assertArrayEquals(expected.shape(), actual.shape(), "shape");
        for (long i = 0; i < expected.numel(); i++) {
            assertEquals(expected.getAsDouble(i), actual.getAsDouble(i), tolerance, "element " + i);
        }
    }

    @Test
    void pythonSafetensorsFileReadsWithEveryDtype() throws Exception {
        try (StateDict ref = Checkpoints.open(Shared.fixture("reference.safetensors", dir))) {
            assertEquals(Map.of("format", "pt", "made_by", "make_checkpoint_fixtures.py"), ref.extras().get("__metadata__"));
            assertEquals(DType.BF16, ref.require("dtype.bf16", 4).dtype());
            assertEquals(DType.F16, ref.require("dtype.f16", 4).dtype());
            assertEquals(DType.F64, ref.require("dtype.f64", 3).dtype());
            Tensor i64 = ref.require("dtype.i64", 3);
            assertEquals(DType.I64, i64.dtype());
            assertEquals(1L << 40, (long) i64.getAsDouble(2));
            assertEquals(-3, i64.getAsDouble(0));
            assertEquals(-7, ref.require("dtype.i32", 2).getAsDouble(0));
            assertEquals(-300, ref.require("dtype.i16", 2).getAsDouble(0));
            assertEquals(-128, ref.require("dtype.i8", 2).getAsDouble(0));
            assertEquals(255, ref.require("dtype.u8", 2).getAsDouble(1));
            Tensor bool = ref.require("dtype.bool", 3);
            assertEquals(DType.BOOL, bool.dtype());
            assertArrayEquals(new float[] {1, 0, 1}, bool.toFloatArray());
        }
    }

    @Test
    void oldAndNewWeightNormMatchTorch() throws Exception {
        try (StateDict ref = Checkpoints.open(Shared.fixture("reference.safetensors", dir));
             StateDict old = Checkpoints.open(Shared.fixture("weightnorm_old.pth", dir));
             StateDict parametrized = Checkpoints.open(Shared.fixture("weightnorm_new.pth", dir))) {
            assertTrue(old.contains("conv.weight_g") && old.contains("conv.weight_v"));
            assertTrue(parametrized.contains("conv.parametrizations.weight.original0"));
            assertSameValues(ref.require("old.conv.weight"), old.resolveWeightNorm("conv", 2), 1e-6);
            assertSameValues(ref.require("old.linear.weight"), old.resolveWeightNorm("linear", 0), 1e-6);
            assertSameValues(ref.require("new.conv.weight"), parametrized.resolveWeightNorm("conv", 2), 1e-6);
            // The fixture scales g away from ||v||, so the effective weight differs from v.
            Tensor v = old.require("conv.weight_v");
            assertTrue(Math.abs(v.getAsDouble(0) - ref.require("old.conv.weight").getAsDouble(0)) > 1e-4);
            // A plain weight is returned as stored.
            StateDict plain = StateDict.of(Path.of("plain"), ref.arena(), Map.of("m.weight", ref.require("old.conv.weight")));
            assertSameValues(ref.require("old.conv.weight"), plain.resolveWeightNorm("m", 2), 0);
        }
    }

    @Test
    void nestedCheckpointWithStridedTensorsAndExtras() throws Exception {
        checkNested(Shared.fixture("nested.pth", dir));
    }

    @Test
    void legacyTorchSaveFormat() throws Exception {
        checkNested(Shared.fixture("legacy.pth", dir));
    }

    private void checkNested(Path file) throws Exception {
        try (StateDict ref = Checkpoints.open(Shared.fixture("reference.safetensors", dir));
             StateDict sd = Checkpoints.open(file)) {
            assertEquals(java.util.List.of("dense", "transposed", "offset_view", "half", "steps", "scalar"), java.util.List.copyOf(sd.keys()));
            for (String key : sd.keys()) {
                assertSameValues(ref.require("nested." + key), sd.require(key), 0);
                assertEquals(ref.require("nested." + key).dtype(), sd.require(key).dtype(), key);
            }
            assertArrayEquals(new int[] {3, 4}, sd.require("transposed").shape());
            assertEquals(0, sd.require("scalar").rank());
            assertEquals(7L, sd.extras().get("epoch"));
            assertEquals(0.93, sd.extras().get("best_acc"));
            assertEquals("mini", sd.extras().get("name"));
            assertTrue(!sd.extras().containsKey("model"));
        }
    }
}
