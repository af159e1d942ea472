package org.sdd4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

/** Adam, AdamW, gradient clipping and the LR schedules against torch (tools/scripts/make_optim_fixtures.py). */
class OptimizerParityTest {
    private static final Path DIR = Path.of("src/test/resources/fixtures/optim");
    private final ObjectMapper json = new ObjectMapper();

    /** A Parameters block holding the fixture's tensors, every one trainable. */
    private static Parameters parameters(JsonNode shapes, JsonNode values, Arena arena) {
        Map<String, Tensor> map = new LinkedHashMap<>();
        for (Iterator<String> it = shapes.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            int[] shape = new int[shapes.get(name).size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapes.get(name).get(i).asInt();
            }
            Tensor t = Tensor.zeros(arena, DType.F32, shape);
            fill(t, values.get(name));
            map.put(name, t);
        }
        return Parameters.copyOf(StateDict.of(Path.of("fixture"), arena, map), n -> true);
    }

    private static void fill(Tensor t, JsonNode values) {
        for (int i = 0; i < values.size(); i++) {
            t.setFloat(i, (float) values.get(i).asDouble());
        }
    }

    /** Max relative difference (to 1 + |ref| scale of the tensor) between {@code t} and {@code ref}. */
    private static double relDiff(Tensor t, JsonNode ref) {
        double worst = 0, scale = 0;
        for (int i = 0; i < ref.size(); i++) {
            scale = Math.max(scale, Math.abs(ref.get(i).asDouble()));
        }
        for (int i = 0; i < ref.size(); i++) {
            worst = Math.max(worst, Math.abs(t.getFloat(i) - ref.get(i).asDouble()) / Math.max(scale, 1e-30));
        }
        return worst;
    }

    @Test
    void adamAndAdamWMatchTorchForThreeSteps() throws Exception {
        JsonNode fx = json.readTree(DIR.resolve("adam_adamw.json").toFile());
        for (JsonNode c : fx.get("cases")) {
            try (Arena arena = Arena.ofShared(); Parameters params = parameters(fx.get("shapes"), fx.get("initial_params"), arena)) {
                Adam.Variant variant = c.get("optimizer").asText().equals("AdamW") ? Adam.Variant.ADAMW : Adam.Variant.ADAM;
                Adam.Config cfg = new Adam.Config(variant, c.get("lr").asDouble(), c.get("betas").get(0).asDouble(),
                        c.get("betas").get(1).asDouble(), c.get("eps").asDouble(), c.get("weight_decay").asDouble());
                try (Adam adam = new Adam(params, cfg)) {
                    int step = 0;
                    for (JsonNode s : c.get("steps")) {
                        JsonNode grads = fx.get("grads").get(step++);
                        for (Parameters.Entry e : params.entries()) {
                            fill(e.grad(), grads.get(e.name()));
                        }
                        adam.step(cfg.lr(), e -> true);
                        for (Parameters.Entry e : params.entries()) {
                            double d = relDiff(e.value(), s.get("params").get(e.name()));
                            assertTrue(d <= 1e-6, c.get("name") + " step " + step + " " + e.name() + ": " + d);
                            Tensor[] mv = adam.moments(e.name());
                            assertTrue(relDiff(mv[0], s.get("exp_avg").get(e.name())) <= 1e-6, "exp_avg " + e.name());
                            assertTrue(relDiff(mv[1], s.get("exp_avg_sq").get(e.name())) <= 1e-6, "exp_avg_sq " + e.name());
                        }
                    }
                }
            }
        }
    }

    @Test
    void clippingMatchesClipGradNorm() throws Exception {
        JsonNode fx = json.readTree(DIR.resolve("clip.json").toFile());
        JsonNode base = json.readTree(DIR.resolve("adam_adamw.json").toFile());
        for (JsonNode c : fx.get("cases")) {
            try (Arena arena = Arena.ofShared();
                 Parameters params = parameters(fx.get("shapes"), base.get("initial_params"), arena)) {
                for (Parameters.Entry e : params.entries()) {
                    JsonNode g = base.get("grads").get(0).get(e.name());
                    for (int i = 0; i < g.size(); i++) {
                        e.grad().setFloat(i, (float) (g.get(i).asDouble() * c.get("grad_scale").asDouble()));
                    }
                }
                double norm = GradClip.clip(params, c.get("max_norm").asDouble());
                assertEquals(c.get("total_norm").asDouble(), norm, 1e-6 * norm, "total norm");
                for (Parameters.Entry e : params.entries()) {
                    assertTrue(relDiff(e.grad(), c.get("grads").get(e.name())) <= 1e-6, "clipped " + e.name());
                }
            }
        }
    }

    @Test
    void schedulesMatchTheReferenceFormulas() throws Exception {
        JsonNode fx = json.readTree(DIR.resolve("schedules.json").toFile());
        for (JsonNode r : fx.get("aasist_cosine").get("runs")) {
            LrSchedule s = LrSchedule.cosine(r.get("base_lr").asDouble(), r.get("lr_min").asDouble(),
                    r.get("total_steps").asLong());
            checkRun(s, r);
        }
        for (JsonNode r : fx.get("warmup_exp").get("runs")) {
            LrSchedule s = LrSchedule.warmupExponential(r.get("base_lr").asDouble(), r.get("warmup").asLong(),
                    r.get("gamma").asDouble());
            checkRun(s, r);
        }
    }

    private static void checkRun(LrSchedule s, JsonNode r) {
        for (int i = 0; i < r.get("steps").size(); i++) {
            double expected = r.get("lr").get(i).asDouble();
            assertEquals(expected, s.lr(r.get("steps").get(i).asLong()), 1e-12 + 1e-9 * expected);
        }
    }
}
