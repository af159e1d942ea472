package org.sdd4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdd4j.tensor.Tensor;

class StateDictTest {
    @TempDir
    Path dir;

    private static StateDict dataParallel(Arena arena) {
        Map<String, Tensor> map = new LinkedHashMap<>();
        map.put("module.fc.weight", Tensor.zeros(arena, 2, 3));
        map.put("module.fc.bias", Tensor.zeros(arena, 2));
        map.put("module.enc.conv.weight", Tensor.zeros(arena, 4, 1, 3));
        return StateDict.of(Path.of("/ckpt/dp.pth"), arena, map);
    }

    @Test
    void requireNamesFileKeyAndShapes() {
        try (Arena arena = Arena.ofConfined()) {
            StateDict sd = dataParallel(arena).stripPrefix("module.");
            assertEquals(List.of(2, 3), List.of(sd.require("fc.weight", 2, 3).shape()[0], sd.require("fc.weight").shape()[1]));
            CheckpointException shape = assertThrows(CheckpointException.class, () -> sd.require("fc.weight", 3, 2));
            assertEquals("tensor 'fc.weight' has shape [2, 3], expected [3, 2] in /ckpt/dp.pth", shape.getMessage());
            CheckpointException missing = assertThrows(CheckpointException.class, () -> sd.require("fc.scale", 2));
            assertTrue(missing.getMessage().startsWith("missing tensor 'fc.scale'"), missing.getMessage());
            assertTrue(missing.getMessage().contains("fc.weight") && missing.getMessage().endsWith("in /ckpt/dp.pth"), missing.getMessage());
            assertTrue(sd.get("fc.scale").isEmpty());
        }
    }

    @Test
    void prefixViewsShareTensors() {
        try (Arena arena = Arena.ofConfined()) {
            StateDict dp = dataParallel(arena);
            StateDict plain = dp.stripPrefix("module.");
            assertEquals(List.of("fc.weight", "fc.bias", "enc.conv.weight"), List.copyOf(plain.keys()));
            assertSame(dp.require("module.fc.bias"), plain.require("fc.bias"));
            StateDict enc = plain.subset("enc.");
            assertEquals(List.of("conv.weight"), List.copyOf(enc.keys()));
            assertEquals(List.of("backbone.conv.weight"), List.copyOf(enc.withPrefix("backbone.").keys()));
            assertEquals(4 * 3, enc.numel());
            enc.close(); // a view: must not close the arena
            assertTrue(arena.scope().isAlive());
        }
    }

    @Test
    void weightNormErrorsNameWhatIsMissing() {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> map = new LinkedHashMap<>();
            map.put("a.weight_g", Tensor.zeros(arena, 1, 1, 3));
            map.put("b.weight_g", Tensor.zeros(arena, 1, 1, 5));
            map.put("b.weight_v", Tensor.zeros(arena, 2, 2, 3));
            StateDict sd = StateDict.of(Path.of("wn.pth"), arena, map);
            CheckpointException half = assertThrows(CheckpointException.class, () -> sd.resolveWeightNorm("a", 2));
            assertTrue(half.getMessage().contains("has 'a.weight_g' but not 'a.weight_v'"), half.getMessage());
            CheckpointException none = assertThrows(CheckpointException.class, () -> sd.resolveWeightNorm("c", 2));
            assertTrue(none.getMessage().contains("missing weight of 'c'"), none.getMessage());
            CheckpointException shape = assertThrows(CheckpointException.class, () -> sd.resolveWeightNorm("b", 2));
            assertTrue(shape.getMessage().contains("'b.weight_g' has shape [1, 1, 5]"), shape.getMessage());
        }
    }

    @Test
    void closingTheOpenedStateDictReleasesTheMapping() throws IOException {
        StateDict sd = Checkpoints.open(Shared.fixture("nested.pth", dir));
        Tensor dense = sd.require("dense");
        sd.close();
        sd.close(); // idempotent
        assertFalse(dense.data().scope().isAlive());
        assertThrows(IllegalStateException.class, () -> dense.getFloat(0));
    }
}
