package org.sdd4j.drift;

import java.util.ArrayList;
import java.util.List;
import org.sdd4j.backend.LayerRecorder.Layout;

/**
 * How differently two models of one architecture represent the same probe utterances, layer by layer:
 * the mean over utterances of the cosine similarity between the two models' pooled outputs, and the
 * linear CKA of those pooled outputs over the probe set (see {@link PooledFeatures} for the pooling).
 * Cosine compares each utterance's vectors as they are (a rescaled or rotated layer scores lower); CKA
 * compares the geometry of the whole set (it does not move when a layer is only rotated or rescaled).
 */
public final class RepresentationDrift {
    private RepresentationDrift() {
    }

    /**
     * One layer's drift.
     *
     * @param features   the pooled feature vector's length
     * @param meanCosine mean over utterances of the cosine between the two models' vectors
     * @param cka        linear CKA over the utterances (NaN when undefined, e.g. fewer than two)
     */
    public record Layer(String layer, Layout layout, int features, int utterances, double meanCosine, double cka) {
    }

    /**
     * Compares the layers both models reported, in the reference's order.
     *
     * @throws IllegalArgumentException when the models reported different layers or numbers of utterances
     */
    public static List<Layer> compare(PooledFeatures from, PooledFeatures to) {
        if (!from.layers().equals(to.layers())) {
            throw new IllegalArgumentException("the models reported different layers: " + from.layers() + " and "
                    + to.layers());
        }
        List<Layer> out = new ArrayList<>();
        for (String name : from.layers()) {
            List<double[]> a = from.rows(name), b = to.rows(name);
            if (a.size() != b.size()) {
                throw new IllegalArgumentException("layer " + name + ": " + a.size() + " utterances against " + b.size());
            }
            if (a.isEmpty()) {
                continue;
            }
            double cosine = 0;
            for (int i = 0; i < a.size(); i++) {
                cosine += cosine(a.get(i), b.get(i));
            }
            double cka = LinearCka.of(a.toArray(double[][]::new), b.toArray(double[][]::new));
            out.add(new Layer(name, from.layout(name), a.getFirst().length, a.size(), cosine / a.size(), cka));
        }
        return out;
    }

    /**
     * Cosine similarity of two vectors of equal length: 1 when both are zero (the outputs agree), 0 when
     * only one is.
     */
    public static double cosine(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("cosine of vectors of lengths " + a.length + " and " + b.length);
        }
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        if (aa == 0 || bb == 0) {
            return aa == bb ? 1 : 0;
        }
        return ab / (Math.sqrt(aa) * Math.sqrt(bb));
    }
}
