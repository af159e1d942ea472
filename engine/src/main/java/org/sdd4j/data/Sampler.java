package org.sdd4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The order in which an epoch visits a dataset, as batches of indices into the utterance list. Each
 * epoch's order depends only on (seed, epoch), so a run can be resumed at any epoch and reproduced.
 *
 * <ul>
 *   <li>{@link #shuffled}: every utterance once per epoch in a random order (PyTorch's
 *       {@code DataLoader(shuffle=True)}; the SSL-AASIST reference also drops the last short batch).
 *   <li>{@link #balanced}: every batch has as many bona fide as spoof utterances. Each class is
 *       visited in a shuffled order that restarts reshuffled when exhausted, so the minority class is
 *       repeated and the majority class partly visited; an epoch has as many batches as a shuffled
 *       epoch with the last short batch dropped.
 *   <li>{@link #classWeighted}: each batch element is drawn independently with replacement, an
 *       utterance's probability proportional to its class weight; same epoch length as balanced.
 * </ul>
 */
public final class Sampler {
    private enum Mode { SHUFFLED, BALANCED, CLASS_WEIGHTED }

    private final Mode mode;
    private final int size;
    private final int batchSize;
    private final long seed;
    private final boolean dropLast;
    private final int[] bonaFide;
    private final int[] spoof;
    private final double bonaFideWeight;
    private final double spoofWeight;

    private Sampler(Mode mode, List<LabeledUtterance> items, int batchSize, long seed, boolean dropLast,
                    double bonaFideWeight, double spoofWeight) {
        Objects.requireNonNull(items, "items");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, was " + batchSize);
        }
        if (items.isEmpty()) {
            throw new IllegalArgumentException("cannot sample from an empty dataset");
        }
        this.mode = mode;
        this.size = items.size();
        this.batchSize = batchSize;
        this.seed = seed;
        this.dropLast = dropLast;
        this.bonaFide = indices(items, LabeledUtterance.BONA_FIDE);
        this.spoof = indices(items, LabeledUtterance.SPOOF);
        this.bonaFideWeight = bonaFideWeight;
        this.spoofWeight = spoofWeight;
        if (mode != Mode.SHUFFLED && (bonaFide.length == 0 || spoof.length == 0)) {
            throw new IllegalArgumentException(mode.name().toLowerCase() + " sampling needs both classes; the dataset has "
                    + bonaFide.length + " bona fide and " + spoof.length + " spoof utterances");
        }
        if (mode != Mode.SHUFFLED && size / batchSize == 0) {
            throw new IllegalArgumentException("dataset of " + size + " is smaller than one batch of " + batchSize);
        }
    }

    /** Every utterance once per epoch, shuffled; {@code dropLast} drops a final batch shorter than {@code batchSize}. */
    public static Sampler shuffled(List<LabeledUtterance> items, int batchSize, long seed, boolean dropLast) {
        return new Sampler(Mode.SHUFFLED, items, batchSize, seed, dropLast, 1, 1);
    }

    /** Equal numbers of bona fide and spoof utterances in every batch; {@code batchSize} must be even. */
    public static Sampler balanced(List<LabeledUtterance> items, int batchSize, long seed) {
        if (batchSize % 2 != 0) {
            throw new IllegalArgumentException("balanced batches need an even batch size, was " + batchSize);
        }
        return new Sampler(Mode.BALANCED, items, batchSize, seed, true, 1, 1);
    }

    /**
     * Draws with replacement, each utterance with probability proportional to its class's weight.
     * Weights inversely proportional to the class sizes give balanced batches in expectation.
     */
    public static Sampler classWeighted(List<LabeledUtterance> items, int batchSize, long seed,
                                        double bonaFideWeight, double spoofWeight) {
        if (!(bonaFideWeight >= 0 && spoofWeight >= 0 && bonaFideWeight + spoofWeight > 0)
                || Double.isInfinite(bonaFideWeight) || Double.isInfinite(spoofWeight)) {
            throw new IllegalArgumentException("class weights must be finite, non-negative and not both zero, were "
                    + bonaFideWeight + " and " + spoofWeight);
        }
        return new Sampler(Mode.CLASS_WEIGHTED, items, batchSize, seed, true, bonaFideWeight, spoofWeight);
    }

    /** Number of batches in every epoch. */
    public int batchesPerEpoch() {
        if (mode == Mode.SHUFFLED && !dropLast) {
            return (size + batchSize - 1) / batchSize;
        }
        return size / batchSize;
    }

    public int batchSize() {
        return batchSize;
    }

    /** The batches of epoch {@code epoch} (0-based), as indices into the utterance list. */
    public List<int[]> epoch(int epoch) {
        RandomGenerator rng = Seeds.forEpoch(seed, epoch);
        int batches = batchesPerEpoch();
        List<int[]> out = new ArrayList<>(batches);
        switch (mode) {
            case SHUFFLED -> {
                int[] order = identity(size);
                shuffle(order, rng);
                for (int b = 0; b < batches; b++) {
                    int from = b * batchSize;
                    int[] batch = new int[Math.min(batchSize, size - from)];
                    System.arraycopy(order, from, batch, 0, batch.length);
                    out.add(batch);
                }
            }
            case BALANCED -> {
                var bona = new ClassStream(bonaFide, rng);
                var fake = new ClassStream(spoof, rng);
                for (int b = 0; b < batches; b++) {
                    int[] batch = new int[batchSize];
                    for (int i = 0; i < batchSize / 2; i++) {
                        batch[2 * i] = bona.next();
                        batch[2 * i + 1] = fake.next();
                    }
                    shuffle(batch, rng);
                    out.add(batch);
                }
            }
            case CLASS_WEIGHTED -> {
                double bonaMass = bonaFideWeight * bonaFide.length;
                double total = bonaMass + spoofWeight * spoof.length;
                for (int b = 0; b < batches; b++) {
                    int[] batch = new int[batchSize];
                    for (int i = 0; i < batchSize; i++) {
                        int[] cls = rng.nextDouble() * total < bonaMass ? bonaFide : spoof;
                        batch[i] = cls[rng.nextInt(cls.length)];
                    }
                    out.add(batch);
                }
            }
        }
        return out;
    }

    /** One class's utterances in shuffled order, reshuffled each time it runs out. */
    private static final class ClassStream {
        private final int[] order;
        private final RandomGenerator rng;
        private int at;

        ClassStream(int[] members, RandomGenerator rng) {
            this.order = members.clone();
            this.rng = rng;
            shuffle(order, rng);
        }

        int next() {
            if (at == order.length) {
                shuffle(order, rng);
                at = 0;
            }
            return order[at++];
        }
    }

    private static int[] indices(List<LabeledUtterance> items, int label) {
        return java.util.stream.IntStream.range(0, items.size()).filter(i -> items.get(i).label() == label).toArray();
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static void shuffle(int[] a, RandomGenerator rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
