package org.sdd4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.audio.InputConvention;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Backends;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.SharedFixtures;
import org.sdd4j.model.ssl.LayerFusionCheckpoint;
import org.sdd4j.model.ssl.LayerFusionConfig;
import org.sdd4j.model.ssl.LayerFusionFfn;
import org.sdd4j.tensor.Tensor;

/**
 * The layer-fusion head over the frozen mini encoder against PyTorch (fixture from
 * tools/scripts/make_layer_fusion_fixtures.py): logits, loss and every head gradient of one step, the gradients
 * accumulated over two micro-batches, and, without PyTorch, that two accumulated micro-batches of four make the
 * same step as one batch of eight.
 */
public class LayerFusionGradientTest {
    private static final Backend BACKEND = Backends.cpu(2);
    private static final String MINI = "fixtures/reference/ssl_aasist_mini.pth";
    private static JsonNode fx;
    private static LayerFusionConfig config;

    @BeforeAll
    static void load() throws Exception {
        if (fx != null) {
            return;
        }
        // From the class path, so that the GPU run (benchmarks/gpu, no Maven) finds it too.
        try (var in = LayerFusionGradientTest.class.getResourceAsStream("/fixtures/grad/layer-fusion-mini/grad.json")) {
            if (in == null) {
                throw new java.io.FileNotFoundException("test resource fixtures/grad/layer-fusion-mini/grad.json");
            }
            fx = new ObjectMapper().readTree(in);
        }
        config = LayerFusionConfig.fromJson(fx.get("config"), LayerFusionConfig.DEFAULT);
    }

    @AfterAll
    static void close() {
        BACKEND.close();
    }

    /** The mini encoder with the fixture's head weights, as one trainable block (the encoder frozen). */
    private static Parameters parameters(StateDict mini, Arena arena) {
        return parameters(mini, arena, null);
    }

    /** As above, with the blocks where {@code backend} computes (host memory for null or a CPU backend). */
    private static Parameters parameters(StateDict mini, Arena arena, Backend backend) {
        StateDict sd = LayerFusionCheckpoint.create(mini, config, 16, new SplittableRandom(1), arena);
        for (JsonNode p : fx.get("parameters")) {
            Tensor t = sd.require(p.get("name").asText());
            JsonNode w = p.get("weight");
            assertEquals(t.numel(), w.size(), p.get("name").asText());
            for (int i = 0; i < w.size(); i++) {
                t.setFloat(i, (float) w.get(i).asDouble());
            }
        }
        return Parameters.copyOf(sd, n -> !n.startsWith(LayerFusionFfn.SSL_PREFIX), backend);
    }

    private static List<float[]> clips(JsonNode names) throws Exception {
        List<float[]> out = new ArrayList<>();
        for (JsonNode clip : names) {
            out.add(InputConvention.fixedLength(AudioReader.read(SharedFixtures.audio(clip.asText())).samples()));
        }
        return out;
    }

    private static int[] labels() {
        int[] labels = new int[fx.get("labels").size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = fx.get("labels").get(i).asInt();
        }
        return labels;
    }

    private static float[] classWeights() {
        return new float[] {(float) fx.get("class_weights").get(0).asDouble(), (float) fx.get("class_weights").get(1).asDouble()};
    }

    private static Tensor batch(Ops ops, List<float[]> clips) {
        Tensor x = ops.empty(clips.size(), clips.get(0).length);
        for (int i = 0; i < clips.size(); i++) {
            for (int t = 0; t < clips.get(i).length; t++) {
                x.setFloat((long) i * clips.get(i).length + t, clips.get(i)[t]);
            }
        }
        return x;
    }

    /** Worst relative L2 error of the head gradients against the fixture's {@code key} ("grad" or "accumulated_grad"). */
    private static double worstError(Parameters params, String key) {
        try (Arena host = Arena.ofConfined()) {
            return worstError(params, key, host);
        }
    }

    private static double worstError(Parameters params, String key, Arena host) {
        Map<String, Parameters.Entry> byName = new HashMap<>();
        params.entries().forEach(e -> byName.put(e.name(), e));
        double worst = 0;
        for (JsonNode p : fx.get("parameters")) {
            Parameters.Entry e = byName.get(p.get("name").asText());
            assertTrue(e.trainable(), e.name() + " should train");
            JsonNode ref = p.get(key).get("values");
            Tensor grad = params.toHost(e.grad(), host);
            double diff = 0, norm = 0;
            for (int i = 0; i < ref.size(); i++) {
                double r = ref.get(i).asDouble();
                diff += Math.pow(grad.getFloat(i) - r, 2);
                norm += r * r;
            }
            worst = Math.max(worst, Math.sqrt(diff) / Math.sqrt(norm));
        }
        return worst;
    }

    @Test
    void headGradientsMatchPyTorchWithTheEncoderUntaped() throws Exception {
        assertHeadGradientsMatchPyTorch(BACKEND);
    }

    /**
     * The check of {@link #headGradientsMatchPyTorchWithTheEncoderUntaped} on {@code backend}, with the parameters
     * where it computes (the GPU training test runs it on the CUDA backend).
     */
    public static void assertHeadGradientsMatchPyTorch(Backend backend) throws Exception {
        load();
        List<float[]> clips = clips(fx.get("input").get("clips"));
        try (Arena arena = Arena.ofShared(); StateDict mini = Checkpoints.open(SharedFixtures.root().resolve(MINI));
             Parameters params = parameters(mini, arena, backend); Ops ops = Ops.training(backend, true, null)) {
            LayerFusionFfn model = new LayerFusionFfn(params.stateDict(), config);
            params.watch(ops.tape());
            Tensor logits = model.logits(ops, MethodStep.stack(ops, clips));
            Tensor hostLogits = ops.download(logits);
            for (int i = 0; i < clips.size(); i++) {
                for (int j = 0; j < 2; j++) {
                    double ref = fx.get("logits").get(i).get(j).asDouble();
                    assertEquals(ref, hostLogits.getFloat(i * 2 + j), 1e-4 * Math.max(1, Math.abs(ref)),
                            "logit " + i + "," + j);
                }
            }
            // The frozen encoder leaves nothing on the tape: only the head's few operations are recorded.
            assertTrue(ops.tape().size() <= 8, "taped operations: " + ops.tape().size());
            Tensor loss = Losses.crossEntropy(ops, logits, labels(), classWeights());
            assertEquals(fx.get("loss").get("value").asDouble(), ops.scalar(loss), 1e-5, "loss");
            ops.tape().backward(loss);
            double worst = worstError(params, "grad");
            System.out.printf("layer fusion on %s: worst head gradient error %.3g against float64 PyTorch%n",
                    backend.name(), worst);
            assertTrue(worst <= 1e-3, "head gradients off by " + worst);
        }
    }

    @Test
    void accumulatedGradientsMatchPyTorch() throws Exception {
        List<float[]> clips = clips(fx.get("input").get("clips"));
        int[] labels = labels();
        try (Arena arena = Arena.ofShared(); StateDict mini = Checkpoints.open(SharedFixtures.root().resolve(MINI));
             Parameters params = parameters(mini, arena); Adam adam = new Adam(params, Adam.Config.adam(0, 0))) {
            LayerFusionFfn model = new LayerFusionFfn(params.stateDict(), config);
            TrainStep step = new TrainStep(model, params, adam, BACKEND, classWeights(), Double.POSITIVE_INFINITY);
            List<TrainStep.MicroBatch> micro = new ArrayList<>();
            for (JsonNode mb : fx.get("micro_batches")) {
                List<float[]> x = new ArrayList<>();
                int[] y = new int[mb.size()];
                for (int i = 0; i < mb.size(); i++) {
                    x.add(clips.get(mb.get(i).asInt()));
                    y[i] = labels[mb.get(i).asInt()];
                }
                micro.add(new TrainStep.MicroBatch(x, y, null));
            }
            step.run(micro, 0.0);   // lr 0: the gradients stay in the block, unclipped, for inspection
            double worst = worstError(params, "accumulated_grad");
            System.out.printf("layer fusion: worst accumulated gradient error %.3g against float64 PyTorch%n", worst);
            assertTrue(worst <= 1e-3, "accumulated gradients off by " + worst);
        }
    }

    @Test
    void twoAccumulatedMicroBatchesOfFourMakeTheStepOfOneBatchOfEight() throws Exception {
        // Each micro-batch has two spoofed and two bona fide clips, so its class-weight sum is half the batch's and
        // loss/2 + loss/2 is exactly the weighted mean over the eight.
        String[] names = {"espeak_1.wav", "flite_1.wav", "real_Front_Center.wav", "real_Front_Left.wav",
            "espeak_2.wav", "flite_2.wav", "real_Rear_Center.wav", "real_Side_Left.wav"};
        int[] labels = {0, 0, 1, 1, 0, 0, 1, 1};
        ObjectMapper json = new ObjectMapper();
        List<float[]> clips = clips(json.valueToTree(names));
        Adam.Config adamConfig = new Adam.Config(Adam.Variant.ADAMW, 1e-3, 0.9, 0.999, 1e-3, 0.01);
        try (Arena arena = Arena.ofShared(); StateDict mini = Checkpoints.open(SharedFixtures.root().resolve(MINI));
             Parameters whole = parameters(mini, arena); Parameters accumulated = parameters(mini, arena);
             Adam adamWhole = new Adam(whole, adamConfig); Adam adamAccumulated = new Adam(accumulated, adamConfig)) {
            TrainStep one = new TrainStep(new LayerFusionFfn(whole.stateDict(), config), whole, adamWhole, BACKEND,
                    classWeights(), 1.0);
            TrainStep two = new TrainStep(new LayerFusionFfn(accumulated.stateDict(), config), accumulated,
                    adamAccumulated, BACKEND, classWeights(), 1.0);
            TrainStep.Result r1 = one.run(clips, labels, 1e-3, null);
            TrainStep.Result r2 = two.run(List.of(
                    new TrainStep.MicroBatch(clips.subList(0, 4), new int[] {0, 0, 1, 1}, null),
                    new TrainStep.MicroBatch(clips.subList(4, 8), new int[] {0, 0, 1, 1}, null)), 1e-3);
            assertEquals(r1.loss(), r2.loss(), 1e-6, "loss");
            assertEquals(r1.gradNorm(), r2.gradNorm(), 1e-6 * r1.gradNorm(), "gradient norm before clipping");
            double gradDiff = 0, gradNorm = 0, weightDiff = 0;
            for (int i = 0; i < whole.entries().size(); i++) {
                Parameters.Entry a = whole.entries().get(i), b = accumulated.entries().get(i);
                for (long j = 0; j < a.value().numel(); j++) {
                    weightDiff = Math.max(weightDiff, Math.abs(a.value().getFloat(j) - b.value().getFloat(j)));
                    if (a.trainable()) {
                        gradDiff += Math.pow(a.grad().getFloat(j) - b.grad().getFloat(j), 2);
                        gradNorm += Math.pow(a.grad().getFloat(j), 2);
                    }
                }
            }
            System.out.printf("accumulation 2 x 4 vs 8: gradient rel diff %.3g, max weight diff %.3g%n",
                    Math.sqrt(gradDiff / gradNorm), weightDiff);
            assertTrue(Math.sqrt(gradDiff / gradNorm) < 1e-5, "gradients differ by " + Math.sqrt(gradDiff / gradNorm));
            assertTrue(weightDiff < 1e-7, "weights after the step differ by " + weightDiff);
        }
    }
}
