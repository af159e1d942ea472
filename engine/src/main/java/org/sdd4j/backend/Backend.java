package org.sdd4j.backend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Device;
import org.sdd4j.tensor.Tensor;

/**
 * The tensor operations the model families need, on float32, contiguous, row-major tensors.
 *
 * <p>Every operation writes into a caller-supplied {@code out} tensor, so that the caller (a layer
 * running inside a {@link Ops} scope) decides where activations live and for how long. Each operation
 * has one meaning, given by {@link ReferenceBackend}; faster providers are tested against it.
 * Shapes are checked by the callers in {@link Ops}; providers may assume them valid.
 */
public interface Backend extends AutoCloseable {

    /** A short name for logs and {@code sdd4j info}. */
    String name();

    /** Worker threads this provider uses. */
    int threads();

    /** The caching allocator {@link Ops} scopes take activations from; closed with the backend. */
    org.sdd4j.tensor.MemoryPool memory();

    /** The activation memory's peaks for a log line ("X MiB held, Y MiB in use, ..."). */
    default String memoryPeaks() {
        return memory().peaks();
    }

    /** Where this provider's activations live; CPU providers compute on host memory. */
    default Device device() {
        return Device.CPU;
    }

    /**
     * A float32 tensor of {@code shape} on {@link #device()}, zero-filled when {@code zero}, whose memory
     * goes back to this provider's allocator when {@code arena} closes. CPU providers take it from
     * {@link #memory()}.
     */
    default Tensor allocate(Arena arena, boolean zero, int... shape) {
        long bytes = Math.max(Tensor.numel(shape) * 4, 4);
        org.sdd4j.tensor.MemoryPool pool = memory();
        MemorySegment block = pool.take(bytes, zero).reinterpret(bytes, arena, pool::give);
        return Tensor.wrap(block, DType.F32, shape);
    }

    /**
     * A float32 tensor of {@code shape} on {@link #device()}, zero-filled when {@code zero}, bound to no arena: the
     * caller gives it back with {@link #release} (taping scopes free each activation and gradient as soon as
     * backward is done with it, as PyTorch's reference counting would). CPU providers take it from
     * {@link #memory()}.
     */
    default Tensor take(boolean zero, int... shape) {
        long bytes = Math.max(Tensor.numel(shape) * 4, 4);
        return Tensor.wrap(memory().take(bytes, zero), DType.F32, shape);
    }

    /** Gives back a tensor from {@link #take} (the whole tensor, not a view of part of it). */
    default void release(Tensor taken) {
        memory().give(taken.data());
    }

    /** Sets every element of {@code t} to {@code value}. */
    default void fill(Tensor t, float value) {
        if (Float.floatToRawIntBits(value) == 0 && t.device() == org.sdd4j.tensor.Device.CPU) { // all zero bytes
            t.data().asSlice(0, t.numel() * 4).fill((byte) 0);
            return;
        }
        for (long i = 0, n = t.numel(); i < n; i++) {
            t.setFloat(i, value);
        }
    }

    /** Copies {@code src} into {@code dst} (same element count), across devices where the provider has two. */
    default void copy(Tensor src, Tensor dst) {
        dst.copyFrom(src);
    }

    /**
     * {@code out[m, n] = sum_k a[m, k] * w[n, k] + bias[n]}: the product of a linear layer, with the
     * weight in torch's {@code [out, in]} layout. {@code a} is {@code [M, K]}, {@code w} {@code [N, K]};
     * {@code bias} may be null.
     */
    void linear(Tensor a, Tensor w, Tensor bias, Tensor out, int m, int n, int k);

    /**
     * Batched {@code out[b] = a[b] @ (transB ? b[b]^T : b[b])}, with {@code a} {@code [B, M, K]} and
     * {@code b} {@code [B, K, N]} or {@code [B, N, K]}.
     */
    void batchedMatmul(Tensor a, Tensor b, boolean transB, Tensor out, int batch, int m, int n, int k);

    /** 1-D convolution, torch semantics (cross-correlation, zero padding both sides). */
    void conv1d(Tensor x, Tensor w, Tensor bias, int stride, int padding, int groups, Tensor out);

    /** 2-D convolution, torch semantics. */
    void conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW, int groups, Tensor out);

    /** Layer normalisation over the last dimension; weight and bias may be null (no affine). */
    void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out);

    /**
     * Layer normalisation of {@code [B, C, L]} over the channel dimension C at each position, with
     * per-channel affine: what wav2vec 2.0's extractor computes by transposing to {@code [B, L, C]},
     * normalising and transposing back, without the two copies.
     */
    void layerNormChannels(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out);

    /** Group normalisation of {@code [B, C, L]} with {@code groups} groups and per-channel affine. */
    void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, float eps, Tensor out);

    /**
     * Batch normalisation with fixed statistics (inference) of {@code [B, C, ...]} over channel dim 1:
     * {@code (x - mean) / sqrt(var + eps) * weight + bias}.
     */
    void batchNorm(Tensor x, Tensor mean, Tensor var, Tensor weight, Tensor bias, float eps, Tensor out);

    /** Softmax over the last dimension. */
    void softmax(Tensor x, Tensor out);

    /** {@code out = f(x)} element-wise; {@code out} may be {@code x}. */
    void activation(Activation f, Tensor x, Tensor out);

    /**
     * {@code out = a + b}, where {@code b} has as many elements as {@code a} or divides it and is
     * broadcast over the leading dimensions (a bias or positional term); {@code out} may be {@code a}.
     */
    void add(Tensor a, Tensor b, Tensor out);

    /** Max pooling of {@code [B, C, H, W]} with stride equal to the kernel, floor mode. */
    void maxPool2d(Tensor x, int kh, int kw, Tensor out);

    // ---- training: batch statistics and gradients ----
    //
    // Gradient arguments ACCUMULATE (+=) into their targets, so a tensor used twice collects both
    // contributions; any gradient target may be null when that gradient is not wanted.

    /**
     * Batch normalisation in training mode over {@code [B, C, ...]}: normalises with the batch's mean and
     * biased variance, stores the mean and {@code 1 / sqrt(var + eps)} per channel in {@code saveMean} and
     * {@code saveInvStd}, and updates the running statistics as torch does:
     * {@code running = (1 - momentum) * running + momentum * batchStat}, with the unbiased variance.
     * {@code runningMean}/{@code runningVar} may be null (no tracking).
     */
    void batchNormTrain(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, float momentum,
                        float eps, Tensor out, Tensor saveMean, Tensor saveInvStd);

    /** Gradients of {@link #batchNormTrain} given its saved statistics. */
    void batchNormBackward(Tensor x, Tensor weight, Tensor saveMean, Tensor saveInvStd, Tensor dy, Tensor dx,
                           Tensor dWeight, Tensor dBias);

    /** Gradients of {@link #linear}: {@code dx += dy W}, {@code dw += dy^T x}, {@code db += sum_rows dy}. */
    void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db, int m, int n, int k);

    /** Gradients of {@link #batchedMatmul}. */
    void batchedMatmulBackward(Tensor a, Tensor b, boolean transB, Tensor dy, Tensor da, Tensor db, int batch, int m,
                               int n, int k);

    /** Gradients of {@link #conv1d}. */
    void conv1dBackward(Tensor x, Tensor w, Tensor dy, int stride, int padding, int groups, Tensor dx, Tensor dw,
                        Tensor db);

    /** Gradients of {@link #conv2d}. */
    void conv2dBackward(Tensor x, Tensor w, Tensor dy, int strideH, int strideW, int padH, int padW, int groups,
                        Tensor dx, Tensor dw, Tensor db);

    /** Gradients of {@link #layerNorm} (statistics recomputed from {@code x}); weight null means no affine. */
    void layerNormBackward(Tensor x, Tensor weight, float eps, Tensor dy, Tensor dx, Tensor dWeight, Tensor dBias);

    /** Gradients of {@link #layerNormChannels}. */
    void layerNormChannelsBackward(Tensor x, Tensor weight, float eps, Tensor dy, Tensor dx, Tensor dWeight,
                                   Tensor dBias);

    /** Gradients of {@link #groupNorm}. */
    void groupNormBackward(Tensor x, int groups, Tensor weight, float eps, Tensor dy, Tensor dx, Tensor dWeight,
                           Tensor dBias);

    /** Gradient of {@link #softmax} from its output: {@code dx += y * (dy - sum(dy * y))} per row. */
    void softmaxBackward(Tensor y, Tensor dy, Tensor dx);

    /** Gradient of {@link #activation}: {@code dx += f'(x) * dy} ({@code y = f(x)} is given for cheap derivatives). */
    void activationBackward(Activation f, Tensor x, Tensor y, Tensor dy, Tensor dx);

    /** Gradient of {@link #maxPool2d}: each output's gradient goes to the first maximum of its window. */
    void maxPool2dBackward(Tensor x, int kh, int kw, Tensor dy, Tensor dx);

    // ---- layout and graph glue ----
    //
    // Memory movement and small element-wise steps that Ops and the model families need between the
    // arithmetic above. The defaults are the host loops every CPU provider shares (HostGlue); providers
    // whose tensors live elsewhere (the GPU) override all of them, so that no model code reads or writes
    // tensor elements itself.

    /** {@code out} = the contiguous copy of {@code x} whose dimension i is input dimension {@code perm[i]}. */
    default void permute(Tensor x, int[] perm, Tensor out) {
        HostGlue.permute(x, perm, out);
    }

    /**
     * {@code dst[dstOffset + r * dstStride + c] (+)= src[srcOffset + r * srcStride + c]} for {@code r < rows},
     * {@code c < rowLength} (offsets and strides in floats): narrow, concat and their gradients.
     */
    default void copyBlocks(Tensor src, long srcOffset, long srcStride, Tensor dst, long dstOffset, long dstStride,
                            long rows, long rowLength, boolean accumulate) {
        HostGlue.copyBlocks(src, srcOffset, srcStride, dst, dstOffset, dstStride, rows, rowLength, accumulate);
    }

    /** {@code out[o, q] = kind over t of x[o, t, q]} for {@code x} viewed as {@code [outer, len, inner]}. */
    default void reduce(Reduction kind, Tensor x, long outer, int len, long inner, Tensor out) {
        HostGlue.reduce(kind, x, outer, len, inner, out);
    }

    /**
     * {@code out = a * b} with {@code b} broadcast as {@code [outer, 1, inner]} over {@code a} viewed as
     * {@code [outer, mid, inner]} ({@code outer = 1} broadcasts over all leading dimensions).
     */
    default void mul(Tensor a, Tensor b, long mid, long inner, Tensor out) {
        HostGlue.mul(a, b, mid, inner, out);
    }

    /** {@code out (+)= x * s}, or {@code x / s} when {@code divide}; {@code out} may be {@code x}. */
    default void scale(Tensor x, float s, boolean divide, Tensor out, boolean accumulate) {
        HostGlue.scale(x, s, divide, out, accumulate);
    }

    /** Element-wise maximum of two tensors of equal size. */
    default void maximum(Tensor a, Tensor b, Tensor out) {
        HostGlue.maximum(a, b, out);
    }

    /** AASIST's node-pair products: {@code y[b, i, j, :] = x[b, i, :] * x[b, j, :]} for {@code x} {@code [B, N, D]}. */
    default void pairwiseProduct(Tensor x, Tensor y) {
        HostGlue.pairwiseProduct(x, y);
    }

    /**
     * AASIST's attention scores {@code s[b, i, j] = (h[b, i, j, :] . weights[weightOfPair[i * N + j]]) /
     * temperature} for {@code h} {@code [B, N, N, Dout]}.
     */
    default void pairScores(Tensor h, Tensor[] weights, int[] weightOfPair, float temperature, Tensor s) {
        HostGlue.pairScores(h, weights, weightOfPair, temperature, s);
    }

    /**
     * A graph pool's ranking: {@code idx[b, r]} (int32, {@code [B, keep]}) = the node of rank r by descending
     * score in row b of {@code scores} ({@code [B, N]} or {@code [B, N, 1]}), ties to the lower node, as
     * torch.topk's order and a stable sort give. On the device the scores never come down to the host.
     */
    default void topK(Tensor scores, int keep, Tensor idx) {
        HostGlue.topK(scores, keep, idx);
    }

    /**
     * A graph pool's kept nodes: {@code y[b, r, :] = h[b, idx[b, r], :] * s[b, idx[b, r]]} for {@code h}
     * {@code [B, N, D]}, scores {@code s} {@code [B, N, 1]} and int32 indices {@code idx} {@code [B, keep]}.
     */
    default void gatherScaled(Tensor h, Tensor s, Tensor idx, Tensor y) {
        HostGlue.gatherScaled(h, s, idx, y);
    }

    /**
     * SSL-AASIST's self-attentive pooling {@code sum(x * softmax(w, dim), dim)} over {@code dim} 3 (time) or 2
     * (frequency) of {@code [B, C, F, T]} into {@code out} {@code [B, C, other]}; the softmax weights go to
     * {@code p} (shaped as {@code x}), which backward reads.
     */
    default void attentivePool(Tensor x, Tensor w, int dim, Tensor out, Tensor p) {
        HostGlue.attentivePool(x, w, dim, out, p);
    }

    // ---- gradients of the glue ----
    //
    // Host loops by default (HostGlue), GPU kernels in the CUDA backend; every target accumulates and may be null.

    /**
     * Gradient of {@link #reduce}: a mean spreads {@code dy / len} over its window; a maximum routes {@code dy} to
     * the first maximal element, as torch does (times its sign for {@link Reduction#MAX_ABS}).
     */
    default void reduceBackward(Reduction kind, Tensor x, Tensor dy, long outer, int len, long inner, Tensor dx) {
        HostGlue.reduceBackward(kind, x, dy, outer, len, inner, dx);
    }

    /** Gradients of {@link #mul}: {@code da += dy * b}, {@code db += sum over mid of dy * a}. */
    default void mulBackward(Tensor a, Tensor b, Tensor dy, long mid, long inner, Tensor da, Tensor db) {
        HostGlue.mulBackward(a, b, dy, mid, inner, da, db);
    }

    /** {@code dst[j] += sum of src[i] over i % dst.numel() == j}: the gradient of a broadcast operand. */
    default void sumBroadcast(Tensor src, Tensor dst) {
        HostGlue.sumBroadcast(src, dst);
    }

    /** Gradients of {@link #maximum}: to the larger operand, split in half on a tie, as torch does. */
    default void maximumBackward(Tensor a, Tensor b, Tensor dy, Tensor da, Tensor db) {
        HostGlue.maximumBackward(a, b, dy, da, db);
    }

    /** Gradients of {@link #batchNorm} (fixed statistics: {@code y = x * s + t} per channel). */
    default void batchNormEvalBackward(Tensor x, Tensor mean, Tensor var, Tensor weight, float eps, Tensor dy,
                                       Tensor dx, Tensor dWeight, Tensor dBias) {
        HostGlue.batchNormEvalBackward(x, mean, var, weight, eps, dy, dx, dWeight, dBias);
    }

    /** Gradient of {@link #pairwiseProduct}: {@code dx_i += sum_j (dy_ij + dy_ji) x_j}. */
    default void pairwiseProductBackward(Tensor x, Tensor dy, Tensor dx) {
        HostGlue.pairwiseProductBackward(x, dy, dx);
    }

    /** Gradients of {@link #pairScores}; {@code dWeights[i]} (null: not wanted) collects weight i's. */
    default void pairScoresBackward(Tensor h, Tensor[] weights, int[] weightOfPair, float temperature, Tensor ds,
                                    Tensor dh, Tensor[] dWeights) {
        HostGlue.pairScoresBackward(h, weights, weightOfPair, temperature, ds, dh, dWeights);
    }

    /** Gradients of {@link #gatherScaled} into the gathered nodes and their scores. */
    default void gatherScaledBackward(Tensor h, Tensor s, Tensor idx, Tensor dy, Tensor dh, Tensor ds) {
        HostGlue.gatherScaledBackward(h, s, idx, dy, dh, ds);
    }

    /**
     * Gradients of {@link #attentivePool} from its softmax weights {@code p} and output: {@code dx += dy p},
     * {@code dw += dy p (x - out)}.
     */
    default void attentivePoolBackward(Tensor x, Tensor p, Tensor out, int dim, Tensor dy, Tensor dx, Tensor dw) {
        HostGlue.attentivePoolBackward(x, p, out, dim, dy, dx, dw);
    }

    // ---- training-only operations ----

    /**
     * Inverted dropout with a drawn mask: {@code out[i] = x[i] * (mask byte i != 0 ? keep : 0)}. {@code mask}
     * holds one byte per element of {@code x} (a float tensor of {@code ceil(n / 4)} elements, on this
     * provider's device), drawn on the host so that every provider drops the same elements for one seed.
     */
    default void dropout(Tensor x, Tensor mask, float keep, Tensor out) {
        HostTraining.dropout(x, mask, keep, out);
    }

    /** Gradient of {@link #dropout}: {@code dx += dy * (mask byte i != 0 ? keep : 0)}. */
    default void dropoutBackward(Tensor mask, float keep, Tensor dy, Tensor dx) {
        HostTraining.dropoutBackward(mask, keep, dy, dx);
    }

    /**
     * torch's weight normalisation {@code w = g * v / ||v||}, the norm taken over every dimension of {@code v}
     * but {@code dim} (sums in double); {@code g} has {@code v.dim(dim)} elements.
     */
    default void weightNorm(Tensor g, Tensor v, int dim, Tensor w) {
        HostTraining.weightNorm(g, v, dim, w);
    }

    /**
     * Gradients of {@link #weightNorm}: {@code dg_j += sum(dw v) / n_j},
     * {@code dv += g_j / n_j * (dw - v sum(dw v) / n_j^2)} over norm j's elements.
     */
    default void weightNormBackward(Tensor g, Tensor v, int dim, Tensor dw, Tensor dg, Tensor dv) {
        HostTraining.weightNormBackward(g, v, dim, dw, dg, dv);
    }

    /** One Adam / AdamW update of parameter {@code p} in place, with its moments (see {@link AdamUpdate}). */
    default void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, AdamUpdate update) {
        update.applyOnHost(p, g, m, v);
    }

    /** {@code sum(t^2)} in double: gradient-norm clipping. */
    default double sumOfSquares(Tensor t) {
        double sq = 0;
        for (long i = 0, n = t.numel(); i < n; i++) {
            double v = t.getFloat(i);
            sq += v * v;
        }
        return sq;
    }

    @Override
    default void close() {
    }
}
