package org.sdd4j.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.Tensor;

class WeightDriftTest {

    @Test
    void modulesAreNumberedLayersOrTopLevelNames() {
        assertEquals("encoder.3", WeightDrift.moduleOf("encoder.3.0.conv1.weight"));
        assertEquals("GAT_layer_S", WeightDrift.moduleOf("GAT_layer_S.att_proj.weight"));
        assertEquals("out_layer", WeightDrift.moduleOf("out_layer.bias"));
        assertEquals("pos_S", WeightDrift.moduleOf("pos_S"));
        assertEquals("ssl_model.model.encoder.layers.7", WeightDrift.moduleOf("ssl_model.model.encoder.layers.7.fc1.weight"));
        assertEquals("ssl_model.model.post_extract_proj", WeightDrift.moduleOf("ssl_model.model.post_extract_proj.weight"));
        assertEquals("ssl_model.model.encoder.layer_norm", WeightDrift.moduleOf("ssl_model.model.encoder.layer_norm.bias"));
        assertEquals("ssl_model.model.mask_emb", WeightDrift.moduleOf("ssl_model.model.mask_emb"));
        assertEquals("m_ssl.model.feature_extractor.conv_layers.0",
                WeightDrift.moduleOf("m_ssl.model.feature_extractor.conv_layers.0.0.weight"));
    }

    @Test
    void unchangedCheckpointHasNoDriftAndAPerturbedTensorOnlyItsOwn() {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> a = new LinkedHashMap<>();
            a.put("encoder.0.0.conv1.weight", Tensor.of(arena, new float[] {3, 4}, 2));
            a.put("encoder.0.0.bn2.running_var", Tensor.of(arena, new float[] {1, 1}, 2));
            a.put("encoder.1.0.conv1.weight", Tensor.of(arena, new float[] {1, 0, 0, 0}, 2, 2));
            a.put("out_layer.weight", Tensor.of(arena, new float[] {0, 0}, 1, 2));
            StateDict from = StateDict.of(Path.of("from.safetensors"), arena, a);

            WeightDrift self = WeightDrift.between(from, from);
            assertTrue(self.tensors().stream().allMatch(t -> t.relative() == 0), "self drift");
            assertEquals(0, self.total().relative());
            assertEquals(3, self.modules().size());

            Map<String, Tensor> b = new LinkedHashMap<>(a);
            b.put("encoder.0.0.conv1.weight", Tensor.of(arena, new float[] {3, 4.5f}, 2));   // ||dW|| 0.5, ||W|| 5
            b.put("encoder.0.0.bn2.running_var", Tensor.of(arena, new float[] {2, 1}, 2));   // a buffer: not in modules
            WeightDrift d = WeightDrift.between(from, StateDict.of(Path.of("to.safetensors"), arena, b));
            assertEquals(0.1, d.tensors().get(0).relative(), 1e-12);
            assertFalse(d.tensors().get(1).parameter());
            assertEquals(Math.sqrt(1.0 / 2), d.tensors().get(1).relative(), 1e-12);
            WeightDrift.ModuleChange enc0 = d.modules().get(0);
            assertEquals("encoder.0", enc0.module());
            assertEquals(1, enc0.tensors());
            assertEquals(0.1, enc0.relative(), 1e-12);
            assertEquals(0, d.modules().get(1).relative());
            assertEquals(0, d.modules().get(2).relative(), "zero tensor left unchanged");
            assertEquals(0.5 / Math.sqrt(26), d.total().relative(), 1e-12);

            b.put("out_layer.weight", Tensor.of(arena, new float[] {0, 1}, 1, 2));
            WeightDrift fromZero = WeightDrift.between(from, StateDict.of(Path.of("to.safetensors"), arena, b));
            assertEquals(Double.POSITIVE_INFINITY, fromZero.modules().get(2).relative());
        }
    }

    @Test
    void differentArchitecturesAreRefusedNamingFilesAndTensors() {
        try (Arena arena = Arena.ofConfined()) {
            StateDict a = StateDict.of(Path.of("a.pth"), arena, Map.of("w", Tensor.of(arena, new float[] {1, 2}, 2),
                    "only_a", Tensor.of(arena, new float[] {1}, 1)));
            StateDict b = StateDict.of(Path.of("b.pth"), arena, Map.of("w", Tensor.of(arena, new float[] {1, 2}, 1, 2)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightDrift.between(a, b));
            assertTrue(e.getMessage().contains("a.pth") && e.getMessage().contains("b.pth"), e.getMessage());
            assertTrue(e.getMessage().contains("only_a only in a.pth"), e.getMessage());
            assertTrue(e.getMessage().contains("w is [2] in one and [1, 2]"), e.getMessage());
        }
    }
}
