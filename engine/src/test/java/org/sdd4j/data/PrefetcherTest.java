package org.sdd4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.sdd4j.audio.WavWriter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdd4j.augment.RawBoost;
import org.sdd4j.augment.RawBoostAlgorithm;

class PrefetcherTest {
    private static final int LENGTH = 4000;

    @TempDir
    Path dir;
    List<LabeledUtterance> items;


    @BeforeEach
    void corpus() throws Exception {
        var rng = new SplittableRandom(1);
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            int n = 2000 + rng.nextInt(6000); // some shorter than LENGTH (tiled), some longer (cropped)
            float[] x = new float[n];
            for (int j = 0; j < n; j++) {
                x[j] = (float) (0.3 * Math.sin(2 * Math.PI * (200 + 50 * i) * j / 16000.0) + 0.05 * rng.nextGaussian());
            }
            WavWriter.writePcm16(dir.resolve("u" + i + ".wav"), x, i == 3 ? 8000 : 16000);
            list.append("u").append(i).append(".wav\t").append(i % 3 == 0 ? 1 : 0).append('\n');
        }
        Files.writeString(dir.resolve("u7.wav"), "not audio at all"); // a broken file
        Path listFile = Files.writeString(dir.resolve("list.tsv"), list);
        items = Protocol.pathLabelList(listFile, dir);
    }

    private List<Batch> run(int threads, int depth, long seed) {
        var loader = new UtteranceLoader(LENGTH, true, RawBoost.defaults(), RawBoostAlgorithm.ISD);
        List<Batch> out = new ArrayList<>();
        var sampler = Sampler.shuffled(items, 4, seed, false);
        try (var p = new Prefetcher(items, sampler.epoch(1), 1, seed, loader, threads, depth)) {
            p.forEachRemaining(out::add);
        }
        return out;
    }

    private static void assertSame(List<Batch> a, List<Batch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).examples().size(), b.get(i).examples().size());
            for (int j = 0; j < a.get(i).examples().size(); j++) {
                assertEquals(a.get(i).examples().get(j).utterance(), b.get(i).examples().get(j).utterance());
                assertArrayEquals(a.get(i).examples().get(j).samples(), b.get(i).examples().get(j).samples());
            }
            assertEquals(a.get(i).failures().stream().map(Batch.Failure::utterance).toList(),
                    b.get(i).failures().stream().map(Batch.Failure::utterance).toList());
        }
    }

    @Test
    void outputIsTheSameForAnyThreadCountAndRun() {
        List<Batch> one = run(1, 1, 11);
        assertEquals(3, one.size());
        assertSame(one, run(3, 2, 11));
        assertSame(one, run(2, 5, 11));
        assertFalse(samplesOf(one).equals(samplesOf(run(2, 2, 12))), "another seed gives another epoch");
        for (Batch b : one) {
            for (Batch.Example e : b.examples()) {
                assertEquals(LENGTH, e.samples().length);
            }
        }
    }

    private static List<String> samplesOf(List<Batch> batches) {
        return batches.stream().flatMap(b -> b.examples().stream())
                .map(e -> e.utterance().id() + java.util.Arrays.toString(e.samples())).toList();
    }

    @Test
    void aBrokenFileIsAPerItemFailureNamingTheFile() {
        List<Batch> batches = run(2, 2, 11);
        List<Batch.Failure> failures = batches.stream().flatMap(b -> b.failures().stream()).toList();
        assertEquals(1, failures.size());
        assertEquals("u7", failures.get(0).utterance().id());
        assertTrue(failures.get(0).message().contains(dir.resolve("u7.wav").toString()), failures.get(0).message());
        assertEquals(11, batches.stream().mapToInt(b -> b.examples().size()).sum());
    }

    @Test
    void closeStopsEarlyAndCleanly() {
        AtomicInteger loads = new AtomicInteger();
        Prefetcher.Loader slow = (u, rng) -> {
            loads.incrementAndGet();
            Thread.sleep(20);
            return new float[] {rng.nextFloat()};
        };
        List<int[]> batches = new ArrayList<>();
        for (int b = 0; b < 50; b++) {
            batches.add(new int[] {b % items.size(), (b + 1) % items.size()});
        }
        var p = new Prefetcher(items, batches, 0, 5, slow, 2, 3);
        Batch first = p.next();
        assertEquals(0, first.index());
        p.close();
        p.close();
        assertFalse(p.hasNext());
        assertThrows(NoSuchElementException.class, p::next);
        assertTrue(loads.get() <= 2 * 5, "bounded look-ahead: loaded " + loads.get() + " of 100 items");
    }
}
