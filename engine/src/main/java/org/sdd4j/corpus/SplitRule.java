package org.sdd4j.corpus;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sdd4j.data.Seeds;

/**
 * The generator-held-out split, deterministic from a seed.
 *
 * <ul>
 *   <li>Spoofs of a held-out engine (default flite, festival, freetts) go to {@code test_unseen} only.</li>
 *   <li>Other spoofs (espeak-ng, espeak) go to train / dev / test_in_domain, 70 / 10 / 20 %, by a seeded
 *       hash of the item's path.</li>
 *   <li>Bona fide items are grouped by (source, language, speaker) (speaker {@code -} means the
 *       source-language pair is one group) and whole groups are dealt to train / dev / test_in_domain /
 *       test_unseen, aiming at 60 / 10 / 15 / 15 % of the clips: groups in seeded-hash order, each to the
 *       split furthest below its target share. So no test speaker is heard in training.</li>
 * </ul>
 */
public final class SplitRule {
    /** The engines held out of training by default. */
    public static final Set<String> DEFAULT_HELD_OUT = Set.of("flite", "festival", "freetts");
    private static final double[] BONAFIDE_SHARES = {0.60, 0.10, 0.15, 0.15};
    private static final double[] SPOOF_SHARES = {0.70, 0.10, 0.20};

    private final Set<String> heldOutEngines;

    public SplitRule(Set<String> heldOutEngines) {
        this.heldOutEngines = Set.copyOf(heldOutEngines);
    }

    /** The engines whose spoofs only appear in {@code test_unseen}. */
    public Set<String> heldOutEngines() {
        return heldOutEngines;
    }

    /** Returns the items (same order) with their split set. */
    public List<CorpusItem> assign(List<CorpusItem> items, long seed) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        Split[] out = new Split[items.size()];
        for (int i = 0; i < items.size(); i++) {
            CorpusItem it = items.get(i);
            if (it.label() == Label.SPOOF) {
                if (heldOutEngines.contains(it.source())) {
                    out[i] = Split.TEST_UNSEEN;
                } else {
                    double u = unit(Seeds.mix(seed, 0x5B11, hash(it.path())));
                    out[i] = u < SPOOF_SHARES[0] ? Split.TRAIN : u < SPOOF_SHARES[0] + SPOOF_SHARES[1] ? Split.DEV : Split.TEST_IN_DOMAIN;
                }
            } else {
                groups.computeIfAbsent(it.source() + "|" + it.language() + "|" + it.speaker(), k -> new ArrayList<>()).add(i);
            }
        }
        List<String> order = new ArrayList<>(groups.keySet());
        order.sort(Comparator.comparingLong((String g) -> Seeds.mix(seed, 0x6B0F, hash(g))).thenComparing(g -> g));
        int total = items.size() - (int) java.util.Arrays.stream(out).filter(s -> s != null).count();
        double[] filled = new double[BONAFIDE_SHARES.length];
        for (String g : order) {
            int best = 0;
            double bestDeficit = Double.NEGATIVE_INFINITY;
            for (int s = 0; s < BONAFIDE_SHARES.length; s++) {
                double deficit = (BONAFIDE_SHARES[s] * total - filled[s]) / (BONAFIDE_SHARES[s] * total);
                if (deficit > bestDeficit) {
                    bestDeficit = deficit;
                    best = s;
                }
            }
            filled[best] += groups.get(g).size();
            for (int i : groups.get(g)) {
                out[i] = Split.values()[best];
            }
        }
        List<CorpusItem> result = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            result.add(items.get(i).withSplit(out[i]));
        }
        return result;
    }

    private static long hash(String s) {
        long h = 1125899906842597L;
        for (int i = 0; i < s.length(); i++) {
            h = 31 * h + s.charAt(i);
        }
        return h;
    }

    private static double unit(long bits) {
        return (bits >>> 11) * 0x1.0p-53;
    }
}
