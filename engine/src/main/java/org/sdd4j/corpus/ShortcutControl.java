package org.sdd4j.corpus;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sdd4j.audio.AudioClip;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.audio.Resampler;
import org.sdd4j.metrics.Eer;
import org.sdd4j.metrics.ScoreSet;

/**
 * The shortcut control: a logistic regression on {@link ShortcutFeatures} (bandwidth, silence, level,
 * length) trained on the train split and scored on the other splits, once on all features and once
 * per {@link ShortcutFeatures.Group}, so a failure says which kind of statistic carries it. A corpus
 * without the shortcut leaves it near chance; an EER below {@link #WARN_BELOW} means those statistics
 * alone separate the classes and a detector trained on the corpus may learn them instead of synthesis
 * artefacts.
 */
public final class ShortcutControl {
    /** EERs below this are reported as a shortcut. */
    public static final double WARN_BELOW = 0.30;

    private ShortcutControl() {
    }

    /**
     * The control's outcome.
     *
     * @param eerBySplit  EER of the model on all features, on each split with both classes present
     * @param weights     standardised weights of {@link ShortcutFeatures#NAMES}
     * @param trainItems  items the control was fitted on
     * @param eerByGroup  the same EERs for a model fitted on one feature group only
     */
    public record Result(Map<Split, Double> eerBySplit, double[] weights, int trainItems,
            Map<ShortcutFeatures.Group, Map<Split, Double>> eerByGroup) {
        /** The lowest EER over the test splits (the most worrying), over all features and every group. */
        public double worstEer() {
            double worst = worstTestEer(eerBySplit);
            for (Map<Split, Double> g : eerByGroup.values()) {
                worst = Math.min(worst, worstTestEer(g));
            }
            return worst;
        }

        /** Whether a test EER is below {@link #WARN_BELOW}. */
        public boolean shortcutFound() {
            return worstEer() < WARN_BELOW;
        }

        /** A few lines for the terminal and the corpus README. */
        public String toText() {
            StringBuilder sb = new StringBuilder("Shortcut control (logistic regression on bandwidth/silence/level/length statistics, fitted on "
                    + trainItems + " train items), EER per split:\n");
            sb.append(String.format(Locale.ROOT, "  %-10s", "features"));
            for (Split s : eerBySplit.keySet()) {
                sb.append(String.format(Locale.ROOT, " %15s", s.text()));
            }
            sb.append('\n');
            row(sb, "all", eerBySplit);
            eerByGroup.forEach((g, e) -> row(sb, g.text(), e));
            sb.append("  weights (all features, standardised):");
            for (int j = 0; j < weights.length; j++) {
                sb.append(String.format(Locale.ROOT, " %s=%+.2f", ShortcutFeatures.NAMES[j], weights[j]));
            }
            sb.append('\n');
            if (shortcutFound()) {
                sb.append(String.format(Locale.ROOT, "  WARNING: EER %.1f%% < %.0f%%: these statistics alone separate the classes;"
                        + " a detector trained on this corpus may learn the channel, not the synthesis.%n", 100 * worstEer(), 100 * WARN_BELOW));
            } else {
                sb.append(String.format(Locale.ROOT, "  OK: no test EER below %.0f%%.%n", 100 * WARN_BELOW));
            }
            return sb.toString();
        }

        private void row(StringBuilder sb, String name, Map<Split, Double> eers) {
            sb.append(String.format(Locale.ROOT, "  %-10s", name));
            for (Split s : eerBySplit.keySet()) {
                Double e = eers.get(s);
                sb.append(e == null ? String.format(Locale.ROOT, " %15s", "-") : String.format(Locale.ROOT, " %14.1f%%", 100 * e));
            }
            sb.append('\n');
        }

        private static double worstTestEer(Map<Split, Double> eers) {
            return eers.entrySet().stream().filter(e -> e.getKey() != Split.TRAIN && e.getKey() != Split.DEV)
                    .mapToDouble(Map.Entry::getValue).min().orElse(Double.NaN);
        }
    }

    /** Runs the control on a built corpus folder (reads its protocol and audio). */
    public static Result run(Path corpus) throws IOException {
        List<CorpusItem> items = CorpusFiles.readProtocol(corpus.resolve(CorpusFiles.PROTOCOL));
        List<double[]> features = new ArrayList<>();
        for (CorpusItem it : items) {
            AudioClip clip = AudioReader.read(corpus.resolve(it.path()));
            if (clip.sampleRate() != ChannelChain.RATE) {
                clip = Resampler.resample(clip, ChannelChain.RATE);
            }
            features.add(ShortcutFeatures.of(clip.samples(), clip.sampleRate()));
        }
        return run(items, features);
    }

    /** Runs the control on items whose features are already computed ({@code features.get(i)} belongs to item i). */
    public static Result run(List<CorpusItem> items, List<double[]> features) {
        Fit all = fit(items, features);
        Map<ShortcutFeatures.Group, Map<Split, Double>> byGroup = new EnumMap<>(ShortcutFeatures.Group.class);
        for (ShortcutFeatures.Group g : ShortcutFeatures.Group.values()) {
            byGroup.put(g, fit(items, features.stream().map(g::select).toList()).eers());
        }
        return new Result(all.eers(), all.model().standardisedWeights(), all.trainItems(), byGroup);
    }

    private record Fit(LogisticRegression model, Map<Split, Double> eers, int trainItems) {
    }

    private static Fit fit(List<CorpusItem> items, List<double[]> features) {
        List<double[]> trainX = new ArrayList<>();
        List<Integer> trainY = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).split() == Split.TRAIN) {
                trainX.add(features.get(i));
                trainY.add(items.get(i).label() == Label.BONAFIDE ? 1 : 0);
            }
        }
        if (!trainY.contains(0) || !trainY.contains(1)) {
            throw new IllegalArgumentException("the control needs both classes in the train split; it has "
                    + trainY.size() + " items of " + (trainY.contains(1) ? "bona fide only" : trainY.isEmpty() ? "neither" : "spoof only"));
        }
        LogisticRegression model = LogisticRegression.fit(trainX.toArray(double[][]::new),
                trainY.stream().mapToInt(Integer::intValue).toArray(), 1e-3, 400, 0.5);
        Map<Split, Double> eers = new EnumMap<>(Split.class);
        for (Split s : Split.values()) {
            List<Double> bona = new ArrayList<>();
            List<Double> spoof = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                if (items.get(i).split() == s) {
                    (items.get(i).label() == Label.BONAFIDE ? bona : spoof).add(model.logit(features.get(i)));
                }
            }
            if (!bona.isEmpty() && !spoof.isEmpty()) {
                eers.put(s, Eer.of(new ScoreSet(bona.stream().mapToDouble(Double::doubleValue).toArray(),
                        spoof.stream().mapToDouble(Double::doubleValue).toArray())).rate());
            }
        }
        return new Fit(model, eers, trainX.size());
    }
}
