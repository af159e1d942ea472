package org.sdd4j.nn;

import org.sdd4j.backend.Ops;
import org.sdd4j.tensor.Tensor;

/**
 * torch's weight normalisation as a taped operation: {@code w = g * v / ||v||}, the norm taken over all
 * dimensions but {@code dim}. Inference uses the weight resolved once at load time; training recomputes
 * it each step so that gradients reach {@code g} and {@code v}.
 */
public final class WeightNorm {
    private WeightNorm() {
    }

    /** The weight {@code g * v / ||v||} into {@code out} (no tape): the inference path, computed once and cached. */
    public static void compute(Tensor g, Tensor v, int dim, Tensor out) {
        int[] s = v.shape();
        long inner = 1;
        for (int i = dim + 1; i < s.length; i++) {
            inner *= s[i];
        }
        int k = s[dim];
        double[] norm = new double[k];
        long n = v.numel();
        for (long i = 0; i < n; i++) {
            double x = v.getFloat(i);
            norm[(int) ((i / inner) % k)] += x * x;
        }
        for (long i = 0; i < n; i++) {
            int j = (int) ((i / inner) % k);
            out.setFloat(i, (float) (g.getFloat(j) * v.getFloat(i) / Math.sqrt(norm[j])));
        }
    }

    public static Tensor apply(Ops ops, Tensor g, Tensor v, int dim) {
        int[] s = v.shape();
        int k = s[dim];
        long inner = 1;
        for (int i = dim + 1; i < s.length; i++) {
            inner *= s[i];
        }
        final long innerF = inner;
        double[] norm = new double[k];
        long n = v.numel();
        for (long i = 0; i < n; i++) {
            double x = v.getFloat(i);
            norm[(int) ((i / innerF) % k)] += x * x;
        }
        for (int j = 0; j < k; j++) {
            norm[j] = Math.sqrt(norm[j]);
        }
        Tensor w = ops.empty(s);
        for (long i = 0; i < n; i++) {
            int j = (int) ((i / innerF) % k);
            w.setFloat(i, (float) (g.getFloat(j) * v.getFloat(i) / norm[j]));
        }
        ops.record(w, Ops.saved(g, v), dw -> {
            // dg_k = sum dw v / n_k;  dv = g_k / n_k * (dw - v * sum(dw v) / n_k^2)
            double[] dot = new double[k];
            for (long i = 0; i < n; i++) {
                dot[(int) ((i / innerF) % k)] += (double) dw.getFloat(i) * v.getFloat(i);
            }
            Tensor dg = ops.tape().grad(g), dv = ops.tape().grad(v);
            for (int j = 0; dg != null && j < k; j++) {
                dg.setFloat(j, dg.getFloat(j) + (float) (dot[j] / norm[j]));
            }
            for (long i = 0; dv != null && i < n; i++) {
                int j = (int) ((i / innerF) % k);
                double d = g.getFloat(j) / norm[j] * (dw.getFloat(i) - v.getFloat(i) * dot[j] / (norm[j] * norm[j]));
                dv.setFloat(i, dv.getFloat(i) + (float) d);
            }
        }, g, v);
        return w;
    }
}
