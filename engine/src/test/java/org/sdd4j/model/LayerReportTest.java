package org.sdd4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.sdd4j.api.ModelLoader;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Backends;
import org.sdd4j.backend.LayerRecorder;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.Checkpoints;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.model.ssl.AntiDeepfake;
import org.sdd4j.model.ssl.SslAasist;
import org.sdd4j.tensor.Tensor;

/** Every family reports its named layer outputs to a recorder, and recording does not change the logits. */
class LayerReportTest {
    private static final Backend BACKEND = Backends.cpu(2);
    private static final List<String> GRAPH = List.of("GAT_layer_S", "GAT_layer_T", "HtrgGAT_layer_ST11",
            "HtrgGAT_layer_ST12", "HtrgGAT_layer_ST21", "HtrgGAT_layer_ST22", "readout", "out_layer");

    @AfterAll
    static void close() {
        BACKEND.close();
    }

    private record Report(String layer, int[] shape, LayerRecorder.Layout layout) {
    }

    @Test
    void aasist() throws Exception {
        List<String> expected = new ArrayList<>(List.of("front_end"));
        IntStream.range(0, 6).forEach(i -> expected.add("encoder." + i));
        expected.addAll(GRAPH);
        List<Report> r = check(SharedFixtures.root().resolve("models/aasist/AASIST-L.pth"),
                sd -> ModelLoader.build(ModelLoader.detect(sd), sd, java.util.Optional.empty()), expected);
        assertEquals(LayerRecorder.Layout.FEATURE_MAP, r.getFirst().layout());
        assertEquals(4, r.getFirst().shape().length);
        assertArrayEquals(new int[] {1, 2}, r.getLast().shape());
    }

    @Test
    void sslAasist() throws Exception {
        check(SharedFixtures.root().resolve("fixtures/reference/ssl_aasist_mini.pth"), SslAasist::new,
                ssl(SslAasist.SSL_PREFIX, Stream.concat(Stream.of("LL", "first_bn"),
                        Stream.concat(IntStream.range(0, 6).mapToObj(i -> "encoder." + i), Stream.of("first_bn1")))
                        .toList(), GRAPH));
    }

    @Test
    void antiDeepfake() throws Exception {
        check(SharedFixtures.root().resolve("fixtures/reference/antideepfake_mini.pth"), AntiDeepfake::new,
                ssl(AntiDeepfake.SSL_PREFIX, List.of("pooled", "proj_fc"), List.of()));
    }

    /** The SSL encoder's reports (feature extractor, each transformer layer) followed by the back end's. */
    private static Function<Integer, List<String>> ssl(String prefix, List<String> backEnd, List<String> graph) {
        return layers -> {
            List<String> names = new ArrayList<>(List.of(prefix + "feature_extractor"));
            IntStream.range(0, layers).forEach(i -> names.add(prefix + "encoder.layers." + i));
            names.addAll(backEnd);
            names.addAll(graph);
            return names;
        };
    }

    private static List<Report> check(java.nio.file.Path checkpoint, Function<StateDict, SpoofModel> factory,
                                      List<String> expected) throws Exception {
        return check(checkpoint, factory, layers -> expected);
    }

    private static List<Report> check(java.nio.file.Path checkpoint, Function<StateDict, SpoofModel> factory,
                                      Function<Integer, List<String>> expected) throws Exception {
        try (StateDict sd = Checkpoints.open(checkpoint)) {
            SpoofModel model = factory.apply(ModelLoader.normalise(sd));
            float[] x = model.input().prepare(AudioReader.read(SharedFixtures.audio("espeak_1.wav")).samples());
            float[] plain, recorded;
            List<Report> reports = new ArrayList<>();
            try (Ops ops = new Ops(BACKEND)) {
                plain = model.logits(ops, Tensor.of(ops.arena(), x, 1, x.length)).toFloatArray();
            }
            try (Ops ops = new Ops(BACKEND, (layer, out, layout) -> reports.add(new Report(layer, out.shape(), layout)))) {
                recorded = model.logits(ops, Tensor.of(ops.arena(), x, 1, x.length)).toFloatArray();
            }
            assertArrayEquals(plain, recorded, "recording must not change the result");
            int transformerLayers = model instanceof SslAasist s ? s.encoder().config().layers()
                    : model instanceof AntiDeepfake a ? a.encoder().config().layers() : 0;
            assertEquals(expected.apply(transformerLayers), reports.stream().map(Report::layer).toList());
            reports.forEach(r -> assertEquals(1, r.shape()[0], r.layer() + ": batch dimension first"));
            return reports;
        }
    }
}
