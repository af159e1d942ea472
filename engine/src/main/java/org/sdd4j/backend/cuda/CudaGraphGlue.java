package org.sdd4j.backend.cuda;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.sdd4j.backend.PoolingAxis;
import org.sdd4j.tensor.Tensor;

import static org.sdd4j.backend.cuda.CudaKernels.Ptr;

/**
 * AASIST's graph pieces (node-pair products and attention scores, graph-pool ranking and gathering) and
 * SSL-AASIST's attentive pooling on the GPU, forward and backward (kernels/graph.cu). Pair-weight indices are
 * uploaded once per pattern and kept, so that a forward pass copies nothing from the host and can be captured
 * as a CUDA graph.
 */
final class CudaGraphGlue implements AutoCloseable {
    private final Launcher l;
    /** Pair-weight indices by content: uploaded once, so a captured forward pass copies nothing from the host. */
    private final Map<List<Integer>, DeviceBuffer> pairIndices = new HashMap<>();

    CudaGraphGlue(Launcher launcher) {
        this.l = launcher;
    }

    /** {@code y[b, i, j, :] = x[b, i, :] * x[b, j, :]}. */
    void pairwiseProduct(Tensor x, Tensor y) {
        l.launch("pairwise_product_forward", l.grid(y.numel()), Launcher.BLOCK, l.p(x), l.p(y), x.dim(0), x.dim(1),
                x.dim(2));
    }

    void pairwiseProductBackward(Tensor x, Tensor dy, Tensor dx) {
        l.launch("pairwise_product_backward", l.grid(x.numel()), Launcher.BLOCK, l.p(x), l.p(dy), l.p(dx), x.dim(0),
                x.dim(1), x.dim(2));
    }

    /** The attention vectors stacked, and the index of the one each node pair (i, j) uses. */
    private record PairWeights(DeviceBuffer stacked, DeviceBuffer index) {
    }

    /** The stack is the weights' current values (device copies); give it back, not the cached index. */
    private PairWeights pairWeights(Tensor[] weights, int[] weightOfPair) {
        int dout = Math.toIntExact(weights[0].numel());
        DeviceBuffer stacked = l.memory.take(4L * dout * weights.length);
        for (int i = 0; i < weights.length; i++) {
            l.gpu.copy(stacked.address() + 4L * i * dout, l.addr(weights[i]), 4L * dout);
        }
        DeviceBuffer index;
        synchronized (this) {
            index = pairIndices.computeIfAbsent(java.util.Arrays.stream(weightOfPair).boxed().toList(),
                    k -> l.upload(weightOfPair));
        }
        return new PairWeights(stacked, index);
    }

    /**
     * {@code s[b, i, j] = (h[b, i, j, :] . weights[weightOfPair[i * N + j]]) / temperature} for {@code h}
     * {@code [B, N, N, Dout]}.
     */
    void pairScores(Tensor h, Tensor[] weights, int[] weightOfPair, float temperature, Tensor s) {
        PairWeights pw = pairWeights(weights, weightOfPair);
        l.launch("pair_scores_forward", l.grid(s.numel()), Launcher.BLOCK, l.p(h), new Ptr(pw.stacked.address()),
                new Ptr(pw.index.address()), l.p(s), h.dim(0), h.dim(1), h.dim(3), temperature);
        l.memory.give(pw.stacked);
    }

    /** Gradients of {@link #pairScores}; {@code dWeights[i]} (null: not wanted) collects weight i's. */
    void pairScoresBackward(Tensor h, Tensor[] weights, int[] weightOfPair, float temperature, Tensor ds,
                            Tensor dh, Tensor[] dWeights) {
        int b = h.dim(0), n = h.dim(1), dout = h.dim(3);
        PairWeights pw = pairWeights(weights, weightOfPair);
        if (dh != null) {
            l.launch("pair_scores_backward_h", l.grid(h.numel()), Launcher.BLOCK, l.p(ds),
                    new Ptr(pw.stacked.address()), new Ptr(pw.index.address()), l.p(dh), b, n, dout, temperature);
        }
        DeviceBuffer dw = l.memory.take(4L * dout * weights.length);
        l.gpu.fill32(dw.address(), 0, (long) dout * weights.length);
        l.launch("pair_scores_backward_w", l.grid((long) weights.length * dout), Launcher.BLOCK, l.p(ds), l.p(h),
                new Ptr(pw.index.address()), new Ptr(dw.address()), weights.length, b, n, dout, temperature);
        for (int i = 0; i < weights.length; i++) {
            if (dWeights[i] != null) {
                l.launch("copy_blocks", l.grid(dout), Launcher.BLOCK, new Ptr(dw.address() + 4L * i * dout), 0L, 0L,
                        l.p(dWeights[i]), 0L, 0L, 1L, (long) dout, 1);
            }
        }
        l.memory.give(dw);
        l.memory.give(pw.stacked);
    }

    /** A block per row ranks its N scores (a thread per node counts those ahead of it): no host round trip. */
    void topK(Tensor scores, int keep, Tensor idx) {
        int b = scores.dim(0), n = scores.dim(1);
        l.launch("topk_rank", b, Launcher.BLOCK, l.p(scores), l.p(idx), b, n, keep);
    }

    /** {@code y[b, r, :] = h[b, idx[b, r], :] * s[b, idx[b, r]]} ({@code s} is {@code [B, N, 1]}). */
    void gatherScaled(Tensor h, Tensor s, Tensor idx, Tensor y) {
        l.launch("gather_scaled_forward", l.grid(y.numel()), Launcher.BLOCK, l.p(h), l.p(s), l.p(idx), l.p(y), h.dim(0),
                h.dim(1), idx.dim(1), h.dim(2));
    }

    void gatherScaledBackward(Tensor h, Tensor s, Tensor idx, Tensor dy, Tensor dh, Tensor ds) {
        l.launch("gather_scaled_backward", l.grid((long) h.dim(0) * idx.dim(1)), Launcher.BLOCK, l.p(h), l.p(s), l.p(idx),
                l.p(dy), l.p(dh), l.p(ds), h.dim(0), h.dim(1), idx.dim(1), h.dim(2));
    }

    /**
     * SSL-AASIST's {@code sum(x * softmax(w, dim), dim)} over {@code dim} 3 (time) or 2 (frequency) of
     * {@code [B, C, F, T]} into {@code out} {@code [B, C, other]}; the softmax weights go to {@code p}.
     */
    void attentivePool(Tensor x, Tensor w, int dim, Tensor out, Tensor p) {
        PoolingAxis a = PoolingAxis.of(x, dim);
        l.launch("attentive_pool_forward", l.grid(a.windows()), Launcher.BLOCK, l.p(x), l.p(w), l.p(p),
                l.p(out), a.planes(), a.len(), a.other(), a.step(), a.otherStep(), a.planeSize());
    }

    void attentivePoolBackward(Tensor x, Tensor p, Tensor out, int dim, Tensor dy, Tensor dx, Tensor dw) {
        PoolingAxis a = PoolingAxis.of(x, dim);
        l.launch("attentive_pool_backward", l.grid(a.windows()), Launcher.BLOCK, l.p(x), l.p(p),
                l.p(out), l.p(dy), l.p(dx), l.p(dw), a.planes(), a.len(), a.other(), a.step(), a.otherStep(),
                a.planeSize());
    }

    /** Gives back the cached pair-weight indices. */
    @Override
    public synchronized void close() {
        pairIndices.values().forEach(l.memory::give);
        pairIndices.clear();
    }
}
