package org.sdd4j.backend;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.sdd4j.tensor.Tensor;

/**
 * The host-memory definitions of {@link Backend}'s training-only operations (dropout with a drawn mask, weight
 * normalisation): what every CPU provider runs, and the meaning kernels/dropout and kernels/weightnorm.cu
 * reproduce. The loops are the ones {@link Ops} and {@link org.sdd4j.nn.WeightNorm} ran before these became
 * operations, so CPU results are unchanged.
 */
final class HostTraining {
    private HostTraining() {
    }

    static void dropout(Tensor x, Tensor mask, float keep, Tensor out) {
        MemorySegment bits = mask.data();
        for (long i = 0, n = x.numel(); i < n; i++) {
            boolean dropped = bits.get(ValueLayout.JAVA_BYTE, i) == 0;
            out.setFloat(i, x.getFloat(i) * (dropped ? 0f : keep));
        }
    }

    static void dropoutBackward(Tensor mask, float keep, Tensor dy, Tensor dx) {
        if (dx == null) {
            return;
        }
        MemorySegment bits = mask.data();
        for (long i = 0, n = dy.numel(); i < n; i++) {
            float m = bits.get(ValueLayout.JAVA_BYTE, i) == 0 ? 0f : keep;
            dx.setFloat(i, dx.getFloat(i) + dy.getFloat(i) * m);
        }
    }

    /** The elements after {@code dim}: v is {@code [outer, k, inner]} with {@code k = v.dim(dim)}. */
    private static long inner(Tensor v, int dim) {
        long inner = 1;
        for (int i = dim + 1; i < v.rank(); i++) {
            inner *= v.dim(i);
        }
        return inner;
    }

    /** {@code ||v||} per index of {@code dim}, in double. */
    private static double[] norms(Tensor v, int dim) {
        int k = v.dim(dim);
        long inner = inner(v, dim);
        double[] norm = new double[k];
        for (long i = 0, n = v.numel(); i < n; i++) {
            double x = v.getFloat(i);
            norm[(int) ((i / inner) % k)] += x * x;
        }
        for (int j = 0; j < k; j++) {
            norm[j] = Math.sqrt(norm[j]);
        }
        return norm;
    }

    static void weightNorm(Tensor g, Tensor v, int dim, Tensor w) {
        int k = v.dim(dim);
        long inner = inner(v, dim);
        double[] norm = norms(v, dim);
        for (long i = 0, n = v.numel(); i < n; i++) {
            int j = (int) ((i / inner) % k);
            w.setFloat(i, (float) (g.getFloat(j) * v.getFloat(i) / norm[j]));
        }
    }

    static void weightNormBackward(Tensor g, Tensor v, int dim, Tensor dw, Tensor dg, Tensor dv) {
        int k = v.dim(dim);
        long inner = inner(v, dim), n = v.numel();
        double[] norm = norms(v, dim);
        double[] dot = new double[k];
        for (long i = 0; i < n; i++) {
            dot[(int) ((i / inner) % k)] += (double) dw.getFloat(i) * v.getFloat(i);
        }
        for (int j = 0; dg != null && j < k; j++) {
            dg.setFloat(j, dg.getFloat(j) + (float) (dot[j] / norm[j]));
        }
        for (long i = 0; dv != null && i < n; i++) {
            int j = (int) ((i / inner) % k);
            double d = g.getFloat(j) / norm[j] * (dw.getFloat(i) - v.getFloat(i) * dot[j] / (norm[j] * norm[j]));
            dv.setFloat(i, dv.getFloat(i) + (float) d);
        }
    }
}
