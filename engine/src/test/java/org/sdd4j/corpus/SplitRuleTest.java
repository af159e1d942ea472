package org.sdd4j.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdd4j.data.LabeledUtterance;
import org.sdd4j.data.Protocol;

class SplitRuleTest {
    static List<CorpusItem> items() {
        List<CorpusItem> out = new ArrayList<>();
        for (int s = 0; s < 12; s++) {
            for (int i = 0; i < 20; i++) {
                out.add(new CorpusItem("audio/bonafide/src" + (s % 3) + "/spk" + s + "_" + i + ".wav", Label.BONAFIDE, "src" + (s % 3),
                        "-", "en", "spk" + s, "GPL-2", null, 2.0, "-"));
            }
        }
        for (String engine : List.of("espeak-ng", "flite", "festival")) {
            for (int i = 0; i < 40; i++) {
                out.add(new CorpusItem("audio/spoof/" + engine + "/" + i + ".wav", Label.SPOOF, engine, engine + ":v" + (i % 3), "en",
                        "v" + (i % 3), "GPL-3+", null, 2.0, "-"));
            }
        }
        return out;
    }

    @Test
    void heldOutGeneratorsOnlyInUnseenTestAndSpeakersNeverCrossSplits() {
        List<CorpusItem> split = new SplitRule(SplitRule.DEFAULT_HELD_OUT).assign(items(), 5);
        Map<String, Split> speakerSplit = new HashMap<>();
        Map<Split, int[]> counts = new HashMap<>();
        for (CorpusItem it : split) {
            counts.computeIfAbsent(it.split(), k -> new int[2])[it.label().ordinal()]++;
            if (it.label() == Label.SPOOF) {
                if (!it.source().equals("espeak-ng")) {
                    assertEquals(Split.TEST_UNSEEN, it.split(), it.path());
                } else {
                    assertNotEquals(Split.TEST_UNSEEN, it.split(), it.path());
                }
            } else {
                Split before = speakerSplit.putIfAbsent(it.speaker(), it.split());
                assertTrue(before == null || before == it.split(), "speaker " + it.speaker() + " in two splits");
            }
        }
        for (Split s : Split.values()) {
            assertTrue(counts.containsKey(s) && counts.get(s)[0] > 0 && counts.get(s)[1] > 0, "split " + s + " lacks a class");
        }
    }

    @Test
    void deterministicFromSeed() {
        SplitRule rule = new SplitRule(SplitRule.DEFAULT_HELD_OUT);
        assertEquals(rule.assign(items(), 5), rule.assign(items(), 5));
        assertNotEquals(rule.assign(items(), 5), rule.assign(items(), 6));
    }

    @Test
    void protocolAndSplitFilesRoundTripAndAreReadableAsPathLabelLists(@TempDir Path dir) throws Exception {
        List<CorpusItem> split = new SplitRule(SplitRule.DEFAULT_HELD_OUT).assign(items(), 1);
        CorpusFiles.writeProtocol(dir, split);
        assertEquals(split, CorpusFiles.readProtocol(dir.resolve(CorpusFiles.PROTOCOL)));
        int total = 0;
        for (Split s : Split.values()) {
            List<CorpusItem> part = CorpusFiles.readProtocol(dir.resolve("splits").resolve(s.text() + ".tsv"));
            assertTrue(part.stream().allMatch(i -> i.split() == s));
            List<LabeledUtterance> list = Protocol.pathLabelList(dir.resolve("splits").resolve(s.text() + ".lst"), dir);
            assertEquals(part.size(), list.size());
            total += part.size();
        }
        assertEquals(split.size(), total);
        Files.writeString(dir.resolve("bad.tsv"), "path\tlabel\n");
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> CorpusFiles.readProtocol(dir.resolve("bad.tsv")));
    }
}
