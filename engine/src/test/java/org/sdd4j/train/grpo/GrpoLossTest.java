package org.sdd4j.train.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.sdd4j.backend.Ops;
import org.sdd4j.backend.ReferenceBackend;
import org.sdd4j.tensor.Tensor;

/**
 * GRPO's advantages, loss and logit gradient against torch autograd in float64
 * (tools/scripts/make_grpo_fixtures.py), for every variant, reward mode, advantage scope and KL weight; and the
 * policy-gradient identities the objective must reduce to.
 */
class GrpoLossTest {
    private static final Path FIXTURE = Path.of("src/test/resources/fixtures/grpo/grpo.json");
    private static final double TOL = 1e-6;

    private static double[] doubles(JsonNode n) {
        double[] d = new double[n.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = n.get(i).asDouble();
        }
        return d;
    }

    private static int[] ints(JsonNode n) {
        int[] d = new int[n.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = n.get(i).asInt();
        }
        return d;
    }

    private static void assertClose(double[] want, double[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], TOL, what + " [" + i + "]");
        }
    }

    private static <E extends Enum<E>> E option(Class<E> type, String v) {
        return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
    }

    @Test
    void matchesTorchForEveryVariantRewardAndAdvantageScope() throws IOException {
        JsonNode f = new ObjectMapper().readTree(FIXTURE.toFile());
        int g = f.get("group_size").asInt(), classes = f.get("classes").asInt();
        double[] policy = doubles(f.get("policy")), old = doubles(f.get("old")), ref = doubles(f.get("reference"));
        int[] sampled = ints(f.get("sampled")), labels = ints(f.get("labels"));
        for (JsonNode a : f.get("advantages")) {
            String what = a.get("reward").asText() + "/" + a.get("advantage").asText();
            double[] r = GroupAdvantages.rewards(sampled, labels, option(GrpoOptions.RewardMode.class, a.get("reward").asText()));
            assertClose(doubles(a.get("rewards")), r, "rewards " + what);
            assertClose(doubles(a.get("advantages")), GroupAdvantages.of(r, g,
                    option(GrpoOptions.AdvantageScope.class, a.get("advantage").asText())), "advantages " + what);
        }
        int checked = 0;
        for (JsonNode c : f.get("cases")) {
            GrpoOptions o = new GrpoOptions(option(GrpoOptions.Variant.class, c.get("variant").asText()),
                    option(GrpoOptions.RewardMode.class, c.get("reward").asText()),
                    option(GrpoOptions.AdvantageScope.class, c.get("advantage").asText()), g,
                    c.get("clip_eps").asDouble(), c.get("beta").asDouble(), 1000);
            String what = c.get("variant").asText() + "/" + c.get("reward").asText() + "/" + c.get("advantage").asText()
                    + "/beta " + o.beta();
            double[] r = GroupAdvantages.rewards(sampled, labels, o.reward());
            GrpoLoss.Evaluation e = GrpoLoss.evaluate(o, classes, policy,
                    o.variant() == GrpoOptions.Variant.GRPO ? old : null, o.beta() > 0 ? ref : null, sampled, r,
                    GroupAdvantages.of(r, g, o.advantage()));
            assertEquals(c.get("loss").asDouble(), e.loss(), TOL, "loss " + what);
            assertClose(doubles(c.get("grad")), e.logitGrad(), "d loss / d logits " + what);
            assertEquals(c.get("kl_mean").asDouble(), e.klMean(), TOL, "kl " + what);
            assertEquals(c.get("clip_fraction").asDouble(), e.clipFraction(), 0, "clip fraction " + what);
            checked++;
        }
        assertEquals(24, checked);
    }

    /** With no clipping, no KL and old == policy, GRPO is the policy gradient -mean(A dlogp/dz); reinforce is -mean(r dlogp/dz). */
    @Test
    void reducesToTheReinforceFormWhenNothingClipsOrPulls() {
        var rng = new java.util.SplittableRandom(5);
        int b = 5, g = 8, c = 2;
        double[] z = new double[b * c];
        for (int i = 0; i < z.length; i++) {
            z[i] = rng.nextDouble(-2, 2);
        }
        int[] labels = {1, 0, 1, 1, 0};
        int[] sampled = LabelSampler.sample(LabelSampler.softmax(z, c), c, g, rng);
        double[] r = GroupAdvantages.rewards(sampled, labels, GrpoOptions.RewardMode.BINARY);
        double[] a = GroupAdvantages.of(r, g, GrpoOptions.AdvantageScope.BATCH);
        double[] p = LabelSampler.softmax(z, c);
        double[] wantGrpo = new double[z.length], wantReinforce = new double[z.length];
        for (int s = 0; s < sampled.length; s++) {
            int i = s / g;
            for (int j = 0; j < c; j++) {
                double dlogp = (j == sampled[s] ? 1 : 0) - p[i * c + j];
                wantGrpo[i * c + j] -= a[s] * dlogp / sampled.length;
                wantReinforce[i * c + j] -= r[s] * dlogp / sampled.length;
            }
        }
        GrpoOptions grpo = new GrpoOptions(GrpoOptions.Variant.GRPO, GrpoOptions.RewardMode.BINARY,
                GrpoOptions.AdvantageScope.BATCH, g, Double.POSITIVE_INFINITY, 0, 1);
        GrpoLoss.Evaluation e = GrpoLoss.evaluate(grpo, c, z, z.clone(), null, sampled, r, a);
        assertClose(wantGrpo, e.logitGrad(), "grpo, eps inf, beta 0, old == policy");
        assertEquals(0, e.ratioMaxDeviation(), "old == policy gives ratio 1 exactly");
        GrpoOptions reinforce = new GrpoOptions(GrpoOptions.Variant.REINFORCE, GrpoOptions.RewardMode.BINARY,
                GrpoOptions.AdvantageScope.BATCH, g, Double.POSITIVE_INFINITY, 0, 1);
        assertClose(wantReinforce, GrpoLoss.evaluate(reinforce, c, z, null, null, sampled, r, a).logitGrad(),
                "reinforce");
        // grpo_s has the same gradient as grpo at ratio 1 (its ratio is 1 by construction).
        GrpoOptions grpoS = new GrpoOptions(GrpoOptions.Variant.GRPO_S, GrpoOptions.RewardMode.BINARY,
                GrpoOptions.AdvantageScope.BATCH, g, 0.2, 0, 1);
        assertClose(wantGrpo, GrpoLoss.evaluate(grpoS, c, z, null, null, sampled, r, a).logitGrad(), "grpo_s");
    }

    /** The taped loss sends d loss / d logits into the logits' gradient, scaled by what reaches the loss. */
    @Test
    void tapedLossCarriesTheGradientIntoTheLogits() {
        double[] z = {0.3, -0.2, 1.1, 0.4};
        int[] sampled = {0, 1, 1, 1, 0, 0};
        int[] labels = {1, 0};
        GrpoOptions o = new GrpoOptions(GrpoOptions.Variant.REINFORCE, GrpoOptions.RewardMode.SIGNED,
                GrpoOptions.AdvantageScope.GROUP, 3, 0.2, 0, 1);
        double[] r = GroupAdvantages.rewards(sampled, labels, o.reward());
        GrpoLoss.Evaluation e = GrpoLoss.evaluate(o, 2, z, null, null, sampled, r, new double[6]);
        try (var backend = new ReferenceBackend(); Ops ops = Ops.training(backend, true, null)) {
            Tensor w = ops.zeros(2, 2);
            for (int i = 0; i < 4; i++) {
                w.setFloat(i, (float) z[i]);
            }
            ops.tape().watch(w);
            Tensor logits = ops.scale(w, 1f); // a taped op between the watched tensor and the loss
            Tensor loss = GrpoLoss.tape(ops, logits, e);
            assertEquals((float) e.loss(), loss.getFloat(0));
            ops.tape().backward(loss);
            Tensor dw = ops.tape().existingGrad(w);
            assertTrue(dw != null, "no gradient reached the weights");
            for (int i = 0; i < 4; i++) {
                assertEquals((float) e.logitGrad()[i], dw.getFloat(i), 1e-7);
            }
        }
    }
}
