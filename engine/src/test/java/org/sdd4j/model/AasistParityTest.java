package org.sdd4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Ops;
import org.sdd4j.backend.Backends;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.aasist.Aasist;
import org.sdd4j.model.aasist.AasistConfig;
import org.sdd4j.tensor.Tensor;

/**
 * The three official AASIST checkpoints on the 14 shared clips against the original PyTorch logits, on the
 * backend users get by default (oneDNN where it loads). The Vector API provider is held to the reference
 * op by op in CpuBackendTest.
 */
class AasistParityTest {
    private static final double TOLERANCE = 2e-4;
    private static final Backend BACKEND = Backends.cpu(2);

    @AfterAll
    static void close() {
        BACKEND.close();
    }

    @ParameterizedTest
    @CsvSource({
        "aasist/AASIST.pth, models/aasist/AASIST.pth, models/aasist/AASIST.conf, 297866",
        "aasist/AASIST-L.pth, models/aasist/AASIST-L.pth, models/aasist/AASIST-L.conf, 85306",
        "asvspoof5-aasist/best.pth, models/asvspoof5-aasist/best.pth, models/asvspoof5-aasist/AASIST_ASVspoof5.conf, 297866"
    })
    void officialCheckpointsMatchPyTorch(String key, String weights, String conf, long params) throws Exception {
        Path shared = SharedFixtures.root();
        JsonNode expected = SharedFixtures.json("fixtures/reference/expected_aasist_logits.json").get(key);
        assertTrue(expected != null && expected.size() == 14, "expected logits for " + key);
        AasistConfig config = AasistConfig.fromJson(SharedFixtures.json(conf));
        try (StateDict sd = Checkpoints.open(shared.resolve(weights))) {
            Aasist model = new Aasist(sd, config);
            assertEquals(params, model.parameterCount());
            double worst = 0;
            List<String> names = new ArrayList<>();
            List<float[]> inputs = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
                String clip = it.next().getKey();
                names.add(clip);
                inputs.add(model.input().prepare(AudioReader.read(SharedFixtures.audio(clip)).samples()));
            }
            // Two utterances per batch: exercises batching while keeping activations small.
            for (int i = 0; i < names.size(); i += 2) {
                int b = Math.min(2, names.size() - i);
                try (Ops ops = new Ops(BACKEND)) {
                    Tensor wav = ops.zeros(b, inputs.get(i).length);
                    for (int q = 0; q < b; q++) {
                        float[] x = inputs.get(i + q);
                        for (int t = 0; t < x.length; t++) {
                            wav.setFloat((long) q * x.length + t, x[t]);
                        }
                    }
                    Tensor logits = model.logits(ops, wav);
                    for (int q = 0; q < b; q++) {
                        JsonNode e = expected.get(names.get(i + q));
                        for (int c = 0; c < 2; c++) {
                            double diff = Math.abs(e.get(c).asDouble() - logits.getFloat(q * 2L + c));
                            worst = Math.max(worst, diff);
                        }
                    }
                }
            }
            System.out.printf("%s: max |logit difference| = %.3g over %d clips%n", key, worst, names.size());
            assertTrue(worst <= TOLERANCE, key + ": max |logit difference| " + worst + " > " + TOLERANCE);
        }
    }
}
