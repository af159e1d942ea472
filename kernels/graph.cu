// AASIST's graph operations (org.sdd4j.model.aasist.GraphOps) and SSL-AASIST's attentive pooling, forward
// and backward, on [B, N, D] node features.
//
//   pairwise_product            y[b, i, j, :] = x[b, i, :] * x[b, j, :]
//   pair_scores                 s[b, i, j] = (h[b, i, j, :] . W[widx[i * N + j], :]) / temperature, with the
//                               attention vectors stacked in W [nw, Dout] and chosen per node pair by widx
//   topk_rank                   idx[b, r] = the node of rank r by descending score, ties to the lower node
//                               (a graph pool's ranking, on the device: the scores never go to the host)
//   gather_scaled               y[b, r, :] = h[b, idx[b, r], :] * s[b, idx[b, r]] (top-k graph pooling)
//   attentive_pool              y = sum_i x_i softmax(w)_i along one axis of [B, C, F, T]
//
// Launch (all but topk_rank): 1-D grid-stride, block 256, grid min(ceil(n / 256), 32 * SMs), a thread per element of
// the output named first after the kernel ("per" below). Backward kernels ACCUMULATE (+=), gather their
// terms in a fixed order, and need no atomics: scattered targets are unique (top-k indices are distinct).
#include "common.cuh"

#define GRID_STRIDE(i, n) \
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < (n); i += (long long) gridDim.x * blockDim.x)

// per y element
extern "C" __global__ void pairwise_product_forward(const float* __restrict__ x, float* y, int batch, int nodes,
                                                    int dim) {
    long long n = (long long) batch * nodes * nodes * dim;
    GRID_STRIDE(e, n) {
        int k = (int) (e % dim), j = (int) ((e / dim) % nodes), i = (int) ((e / ((long long) dim * nodes)) % nodes);
        long long q = e / ((long long) dim * nodes * nodes);
        y[e] = x[(q * nodes + i) * dim + k] * x[(q * nodes + j) * dim + k];
    }
}

// per dx element: dx[b, i, k] += sum_j (dy[b, i, j, k] + dy[b, j, i, k]) * x[b, j, k]
extern "C" __global__ void pairwise_product_backward(const float* __restrict__ x, const float* __restrict__ dy,
                                                     float* dx, int batch, int nodes, int dim) {
    long long n = (long long) batch * nodes * dim;
    GRID_STRIDE(e, n) {
        int k = (int) (e % dim), i = (int) ((e / dim) % nodes);
        long long q = e / ((long long) dim * nodes);
        float s = 0.0f;
        for (int j = 0; j < nodes; j++) {
            long long ij = ((q * nodes + i) * nodes + j) * dim + k, ji = ((q * nodes + j) * nodes + i) * dim + k;
            s += (dy[ij] + dy[ji]) * x[(q * nodes + j) * dim + k];
        }
        dx[e] += s;
    }
}

// per s element
extern "C" __global__ void pair_scores_forward(const float* __restrict__ h, const float* __restrict__ weights,
                                               const int* __restrict__ widx, float* s, int batch, int nodes,
                                               int dout, float temperature) {
    long long n = (long long) batch * nodes * nodes;
    GRID_STRIDE(e, n) {
        const float* w = weights + (long long) widx[e % ((long long) nodes * nodes)] * dout;
        const float* hp = h + e * dout;
        float acc = 0.0f;
        for (int k = 0; k < dout; k++) acc += hp[k] * w[k];
        s[e] = acc / temperature;
    }
}

// per h element: dh += (ds / temperature) * W[widx]
extern "C" __global__ void pair_scores_backward_h(const float* __restrict__ ds, const float* __restrict__ weights,
                                                  const int* __restrict__ widx, float* dh, int batch, int nodes,
                                                  int dout, float temperature) {
    long long n = (long long) batch * nodes * nodes * dout;
    GRID_STRIDE(e, n) {
        long long pair = e / dout;
        float g = ds[pair] / temperature;
        dh[e] += g * weights[(long long) widx[pair % ((long long) nodes * nodes)] * dout + e % dout];
    }
}

// per dW element: dW[w, k] += sum over the pairs using vector w of (ds / temperature) * h[pair, k]
extern "C" __global__ void pair_scores_backward_w(const float* __restrict__ ds, const float* __restrict__ h,
                                                  const int* __restrict__ widx, float* dweights, int nw, int batch,
                                                  int nodes, int dout, float temperature) {
    long long pairs = (long long) nodes * nodes;
    GRID_STRIDE(e, (long long) nw * dout) {
        int w = (int) (e / dout), k = (int) (e % dout);
        float s = 0.0f;
        for (long long q = 0; q < batch; q++) {
            for (long long p = 0; p < pairs; p++) {
                if (widx[p] == w) s += ds[q * pairs + p] / temperature * h[(q * pairs + p) * dout + k];
            }
        }
        dweights[e] += s;
    }
}

// Whether node j ranks before node i: a higher score, or an equal one at a lower index. Scores compare as Java's
// Double.compare does on the host (-0 below +0, NaN above everything, so last in descending order).
__device__ __forceinline__ bool ranks_before(float sj, int j, float si, int i) {
    bool nj = isnan(sj), ni = isnan(si);
    if (nj || ni) return !nj && ni ? true : (nj && ni ? j < i : false);
    if (sj != si) return sj > si;
    bool zj = signbit(sj), zi = signbit(si);  // equal values differ only as -0 and +0
    return zj != zi ? zi : j < i;
}

// Launch: grid = B (a block per row), block 256; a thread per node counts the nodes ahead of it.
extern "C" __global__ void topk_rank(const float* __restrict__ scores, int* idx, int batch, int nodes, int keep) {
    int q = blockIdx.x;
    if (q >= batch) return;
    const float* s = scores + (long long) q * nodes;
    for (int i = threadIdx.x; i < nodes; i += blockDim.x) {
        int rank = 0;
        for (int j = 0; j < nodes; j++) rank += (j != i && ranks_before(s[j], j, s[i], i)) ? 1 : 0;
        if (rank < keep) idx[(long long) q * keep + rank] = i;
    }
}

// per y element
extern "C" __global__ void gather_scaled_forward(const float* __restrict__ h, const float* __restrict__ s,
                                                 const int* __restrict__ idx, float* y, int batch, int nodes,
                                                 int keep, int dim) {
    long long n = (long long) batch * keep * dim;
    GRID_STRIDE(e, n) {
        long long qr = e / dim;
        long long q = qr / keep;
        long long node = q * nodes + idx[qr];
        y[e] = h[node * dim + e % dim] * s[node];
    }
}

// per kept node (b, r): dh[node, :] += dy * s[node]; ds[node] += dy . h[node, :]
extern "C" __global__ void gather_scaled_backward(const float* __restrict__ h, const float* __restrict__ s,
                                                  const int* __restrict__ idx, const float* __restrict__ dy, float* dh,
                                                  float* ds, int batch, int nodes, int keep, int dim) {
    GRID_STRIDE(qr, (long long) batch * keep) {
        long long node = (qr / keep) * nodes + idx[qr];
        float sv = s[node], acc = 0.0f;
        for (int k = 0; k < dim; k++) {
            float g = dy[qr * dim + k];
            if (dh != nullptr) dh[node * dim + k] += g * sv;
            acc += g * h[node * dim + k];
        }
        if (ds != nullptr) ds[node] += acc;
    }
}

// per output (plane, o) of [B*C, other]: the softmax of w along `len` values `step` apart, p kept for backward.
extern "C" __global__ void attentive_pool_forward(const float* __restrict__ x, const float* __restrict__ w, float* p,
                                                  float* y, long long planes, int len, int other, long long step,
                                                  long long otherStep, long long planeSize) {
    GRID_STRIDE(e, planes * other) {
        long long at = (e / other) * planeSize + (e % other) * otherStep;
        float m = -INFINITY;
        for (int i = 0; i < len; i++) m = fmaxf(m, w[at + i * step]);
        float denom = 0.0f;
        for (int i = 0; i < len; i++) denom += expf(w[at + i * step] - m);
        float acc = 0.0f;
        for (int i = 0; i < len; i++) {
            float pi = expf(w[at + i * step] - m) / denom;
            p[at + i * step] = pi;
            acc += x[at + i * step] * pi;
        }
        y[e] = acc;
    }
}

// dx_i += dy p_i; dw_i += dy p_i (x_i - y)
extern "C" __global__ void attentive_pool_backward(const float* __restrict__ x, const float* __restrict__ p,
                                                   const float* __restrict__ y, const float* __restrict__ dy,
                                                   float* dx, float* dw, long long planes, int len, int other,
                                                   long long step, long long otherStep, long long planeSize) {
    GRID_STRIDE(e, planes * other) {
        long long at = (e / other) * planeSize + (e % other) * otherStep;
        float g = dy[e], yv = y[e];
        for (int i = 0; i < len; i++) {
            long long k = at + i * step;
            if (dx != nullptr) dx[k] += g * p[k];
            if (dw != nullptr) dw[k] += g * p[k] * (x[k] - yv);
        }
    }
}
