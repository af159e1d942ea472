package org.sdd4j.backend;

import java.io.PrintStream;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.sdd4j.tensor.Tensor;

/**
 * A decorator that times every operation of another backend, per operation name, and prints a table
 * (calls, total ms, share) when closed. Turned on with {@code -Dsdd4j.profile=true}; it synchronises
 * nothing and adds two clock reads per call, so it is cheap enough to leave on while investigating.
 */
public final class ProfilingBackend implements Backend {
    private final Backend inner;
    private final Map<String, long[]> stats = new TreeMap<>();
    private final PrintStream out;

    public ProfilingBackend(Backend inner, PrintStream out) {
        this.inner = inner;
        this.out = out;
    }

    private void timed(String op, Runnable body) {
        long t = System.nanoTime();
        body.run();
        long dt = System.nanoTime() - t;
        synchronized (stats) {
            long[] s = stats.computeIfAbsent(op, k -> new long[2]);
            s[0]++;
            s[1] += dt;
        }
    }

    /** The accumulated table: operation, calls, total milliseconds, share of all backend time. */
    public String report() {
        StringBuilder sb = new StringBuilder(String.format("%-22s %8s %10s %6s%n", "op", "calls", "total ms", "share"));
        synchronized (stats) {
            long all = stats.values().stream().mapToLong(s -> s[1]).sum();
            stats.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]))
                    .forEach(e -> sb.append(String.format("%-22s %8d %10.1f %5.1f%%%n", e.getKey(), e.getValue()[0],
                            e.getValue()[1] / 1e6, 100.0 * e.getValue()[1] / Math.max(all, 1))));
        }
        return sb.toString();
    }

    @Override
    public String name() {
        return inner.name() + "+profile";
    }

    @Override
    public int threads() {
        return inner.threads();
    }

    @Override
    public org.sdd4j.tensor.MemoryPool memory() {
        return inner.memory();
    }

    @Override
    public String memoryPeaks() {
        return inner.memoryPeaks();
    }

    @Override
    public org.sdd4j.tensor.Device device() {
        return inner.device();
    }

    @Override
    public Tensor allocate(java.lang.foreign.Arena arena, boolean zero, int... shape) {
        return inner.allocate(arena, zero, shape);
    }

    @Override
    public Tensor take(boolean zero, int... shape) {
        return inner.take(zero, shape);
    }

    @Override
    public void release(Tensor taken) {
        inner.release(taken);
    }

    @Override
    public void fill(Tensor t, float value) {
        timed("fill", () -> inner.fill(t, value));
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        timed("copy", () -> inner.copy(src, dst));
    }

    @Override
    public void linear(Tensor a, Tensor w, Tensor bias, Tensor out, int m, int n, int k) {
        timed("linear", () -> inner.linear(a, w, bias, out, m, n, k));
    }

    @Override
    public void batchedMatmul(Tensor a, Tensor b, boolean transB, Tensor out, int batch, int m, int n, int k) {
        timed("batchedMatmul", () -> inner.batchedMatmul(a, b, transB, out, batch, m, n, k));
    }

    @Override
    public void conv1d(Tensor x, Tensor w, Tensor bias, int stride, int padding, int groups, Tensor out) {
        timed("conv1d", () -> inner.conv1d(x, w, bias, stride, padding, groups, out));
    }

    @Override
    public void conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW, int groups,
                       Tensor out) {
        timed("conv2d", () -> inner.conv2d(x, w, bias, strideH, strideW, padH, padW, groups, out));
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out) {
        timed("layerNorm", () -> inner.layerNorm(x, weight, bias, eps, out));
    }

    @Override
    public void layerNormChannels(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out) {
        timed("layerNormChannels", () -> inner.layerNormChannels(x, weight, bias, eps, out));
    }

    @Override
    public void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, float eps, Tensor out) {
        timed("groupNorm", () -> inner.groupNorm(x, groups, weight, bias, eps, out));
    }

    @Override
    public void batchNorm(Tensor x, Tensor mean, Tensor var, Tensor weight, Tensor bias, float eps, Tensor out) {
        timed("batchNorm", () -> inner.batchNorm(x, mean, var, weight, bias, eps, out));
    }

    @Override
    public void softmax(Tensor x, Tensor out) {
        timed("softmax", () -> inner.softmax(x, out));
    }

    @Override
    public void activation(Activation f, Tensor x, Tensor out) {
        timed("act." + f.name().toLowerCase(java.util.Locale.ROOT), () -> inner.activation(f, x, out));
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        timed("add", () -> inner.add(a, b, out));
    }

    @Override
    public void maxPool2d(Tensor x, int kh, int kw, Tensor out) {
        timed("maxPool2d", () -> inner.maxPool2d(x, kh, kw, out));
    }

    @Override
    public void batchNormTrain(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                               float momentum, float eps, Tensor out, Tensor saveMean, Tensor saveInvStd) {
        timed("batchNormTrain", () -> inner.batchNormTrain(x, weight, bias, runningMean, runningVar, momentum, eps,
                out, saveMean, saveInvStd));
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor weight, Tensor saveMean, Tensor saveInvStd, Tensor dy, Tensor dx,
                                  Tensor dWeight, Tensor dBias) {
        timed("batchNorm.bwd", () -> inner.batchNormBackward(x, weight, saveMean, saveInvStd, dy, dx, dWeight, dBias));
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db, int m, int n, int k) {
        timed("linear.bwd", () -> inner.linearBackward(x, w, dy, dx, dw, db, m, n, k));
    }

    @Override
    public void batchedMatmulBackward(Tensor a, Tensor b, boolean transB, Tensor dy, Tensor da, Tensor db, int batch,
                                      int m, int n, int k) {
        timed("batchedMatmul.bwd", () -> inner.batchedMatmulBackward(a, b, transB, dy, da, db, batch, m, n, k));
    }

    @Override
    public void conv1dBackward(Tensor x, Tensor w, Tensor dy, int stride, int padding, int groups, Tensor dx,
                               Tensor dw, Tensor db) {
        timed("conv1d.bwd", () -> inner.conv1dBackward(x, w, dy, stride, padding, groups, dx, dw, db));
    }

    @Override
    public void conv2dBackward(Tensor x, Tensor w, Tensor dy, int strideH, int strideW, int padH, int padW,
                               int groups, Tensor dx, Tensor dw, Tensor db) {
        timed("conv2d.bwd", () -> inner.conv2dBackward(x, w, dy, strideH, strideW, padH, padW, groups, dx, dw, db));
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor weight, float eps, Tensor dy, Tensor dx, Tensor dWeight,
                                  Tensor dBias) {
        timed("layerNorm.bwd", () -> inner.layerNormBackward(x, weight, eps, dy, dx, dWeight, dBias));
    }

    @Override
    public void layerNormChannelsBackward(Tensor x, Tensor weight, float eps, Tensor dy, Tensor dx, Tensor dWeight,
                                          Tensor dBias) {
        timed("layerNormChannels.bwd", () -> inner.layerNormChannelsBackward(x, weight, eps, dy, dx, dWeight, dBias));
    }

    @Override
    public void groupNormBackward(Tensor x, int groups, Tensor weight, float eps, Tensor dy, Tensor dx,
                                  Tensor dWeight, Tensor dBias) {
        timed("groupNorm.bwd", () -> inner.groupNormBackward(x, groups, weight, eps, dy, dx, dWeight, dBias));
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        timed("softmax.bwd", () -> inner.softmaxBackward(y, dy, dx));
    }

    @Override
    public void activationBackward(Activation f, Tensor x, Tensor y, Tensor dy, Tensor dx) {
        timed("act." + f.name().toLowerCase(java.util.Locale.ROOT) + ".bwd",
                () -> inner.activationBackward(f, x, y, dy, dx));
    }

    @Override
    public void maxPool2dBackward(Tensor x, int kh, int kw, Tensor dy, Tensor dx) {
        timed("maxPool2d.bwd", () -> inner.maxPool2dBackward(x, kh, kw, dy, dx));
    }

    /** Times layout glue run outside the backend (permutes, reductions) under {@code op}. */
    public <T> T time(String op, Supplier<T> body) {
        long t = System.nanoTime();
        T r = body.get();
        long dt = System.nanoTime() - t;
        synchronized (stats) {
            long[] s = stats.computeIfAbsent(op, k -> new long[2]);
            s[0]++;
            s[1] += dt;
        }
        return r;
    }

    @Override
    public void permute(Tensor x, int[] perm, Tensor out) {
        timed("permute", () -> inner.permute(x, perm, out));
    }

    @Override
    public void copyBlocks(Tensor src, long srcOffset, long srcStride, Tensor dst, long dstOffset, long dstStride,
                           long rows, long rowLength, boolean accumulate) {
        timed("copyBlocks", () -> inner.copyBlocks(src, srcOffset, srcStride, dst, dstOffset, dstStride, rows,
                rowLength, accumulate));
    }

    @Override
    public void reduce(Reduction kind, Tensor x, long outer, int len, long inner, Tensor out) {
        timed("reduce", () -> this.inner.reduce(kind, x, outer, len, inner, out));
    }

    @Override
    public void mul(Tensor a, Tensor b, long mid, long inner, Tensor out) {
        timed("mul", () -> this.inner.mul(a, b, mid, inner, out));
    }

    @Override
    public void scale(Tensor x, float s, boolean divide, Tensor out, boolean accumulate) {
        timed("scale", () -> inner.scale(x, s, divide, out, accumulate));
    }

    @Override
    public void maximum(Tensor a, Tensor b, Tensor out) {
        timed("maximum", () -> inner.maximum(a, b, out));
    }

    @Override
    public void pairwiseProduct(Tensor x, Tensor y) {
        timed("pairwiseProduct", () -> inner.pairwiseProduct(x, y));
    }

    @Override
    public void pairScores(Tensor h, Tensor[] weights, int[] weightOfPair, float temperature, Tensor s) {
        timed("pairScores", () -> inner.pairScores(h, weights, weightOfPair, temperature, s));
    }

    @Override
    public void topK(Tensor scores, int keep, Tensor idx) {
        timed("topK", () -> inner.topK(scores, keep, idx));
    }

    @Override
    public void gatherScaled(Tensor h, Tensor s, Tensor idx, Tensor y) {
        timed("gatherScaled", () -> inner.gatherScaled(h, s, idx, y));
    }

    @Override
    public void attentivePool(Tensor x, Tensor w, int dim, Tensor out, Tensor p) {
        timed("attentivePool", () -> inner.attentivePool(x, w, dim, out, p));
    }

    @Override
    public void reduceBackward(Reduction kind, Tensor x, Tensor dy, long outer, int len, long inner, Tensor dx) {
        timed("reduceBackward", () -> this.inner.reduceBackward(kind, x, dy, outer, len, inner, dx));
    }

    @Override
    public void mulBackward(Tensor a, Tensor b, Tensor dy, long mid, long inner, Tensor da, Tensor db) {
        timed("mulBackward", () -> this.inner.mulBackward(a, b, dy, mid, inner, da, db));
    }

    @Override
    public void sumBroadcast(Tensor src, Tensor dst) {
        timed("sumBroadcast", () -> inner.sumBroadcast(src, dst));
    }

    @Override
    public void maximumBackward(Tensor a, Tensor b, Tensor dy, Tensor da, Tensor db) {
        timed("maximumBackward", () -> inner.maximumBackward(a, b, dy, da, db));
    }

    @Override
    public void batchNormEvalBackward(Tensor x, Tensor mean, Tensor var, Tensor weight, float eps, Tensor dy,
                                      Tensor dx, Tensor dWeight, Tensor dBias) {
        timed("batchNormEvalBackward", () -> inner.batchNormEvalBackward(x, mean, var, weight, eps, dy, dx, dWeight,
                dBias));
    }

    @Override
    public void pairwiseProductBackward(Tensor x, Tensor dy, Tensor dx) {
        timed("pairwiseProductBackward", () -> inner.pairwiseProductBackward(x, dy, dx));
    }

    @Override
    public void pairScoresBackward(Tensor h, Tensor[] weights, int[] weightOfPair, float temperature, Tensor ds,
                                   Tensor dh, Tensor[] dWeights) {
        timed("pairScoresBackward", () -> inner.pairScoresBackward(h, weights, weightOfPair, temperature, ds, dh,
                dWeights));
    }

    @Override
    public void gatherScaledBackward(Tensor h, Tensor s, Tensor idx, Tensor dy, Tensor dh, Tensor ds) {
        timed("gatherScaledBackward", () -> inner.gatherScaledBackward(h, s, idx, dy, dh, ds));
    }

    @Override
    public void attentivePoolBackward(Tensor x, Tensor p, Tensor out, int dim, Tensor dy, Tensor dx, Tensor dw) {
        timed("attentivePoolBackward", () -> inner.attentivePoolBackward(x, p, out, dim, dy, dx, dw));
    }

    @Override
    public void dropout(Tensor x, Tensor mask, float keep, Tensor out) {
        timed("dropout", () -> inner.dropout(x, mask, keep, out));
    }

    @Override
    public void dropoutBackward(Tensor mask, float keep, Tensor dy, Tensor dx) {
        timed("dropoutBackward", () -> inner.dropoutBackward(mask, keep, dy, dx));
    }

    @Override
    public void weightNorm(Tensor g, Tensor v, int dim, Tensor w) {
        timed("weightNorm", () -> inner.weightNorm(g, v, dim, w));
    }

    @Override
    public void weightNormBackward(Tensor g, Tensor v, int dim, Tensor dw, Tensor dg, Tensor dv) {
        timed("weightNormBackward", () -> inner.weightNormBackward(g, v, dim, dw, dg, dv));
    }

    @Override
    public void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, AdamUpdate update) {
        timed("adamStep", () -> inner.adamStep(p, g, m, v, update));
    }

    @Override
    public double sumOfSquares(Tensor t) {
        double[] r = new double[1];
        timed("sumOfSquares", () -> r[0] = inner.sumOfSquares(t));
        return r[0];
    }

    @Override
    public void close() {
        out.print(report());
        out.flush();
        inner.close();
    }
}
