// torch's weight normalisation w = g * v / ||v|| (torch.nn.utils.weight_norm), forward and backward: the norm
// is over every dimension of v but one, so v is viewed as [outer, k, inner] and norm j sums the outer * inner
// squares with index j in that dimension. The user is wav2vec 2.0's positional convolution (dim 2 of its
// [C, C / G, K] kernel, so k = K norms). Sums and the per-element arithmetic are in double, as
// org.sdd4j.backend.HostTraining computes them; only the order of the sums differs.
//
// Launch: weightnorm_norms and weightnorm_backward_dot: grid k (one block per norm), block 256.
// weightnorm_forward and weightnorm_backward_v: 1-D grid-stride over v's n elements, block 256,
// grid min(ceil(n / 256), 32 * SMs). Backward kernels ACCUMULATE (+=) into dg and dv.
#include "common.cuh"

// Element t (of outer * inner) of norm j.
__device__ __forceinline__ long long wn_at(long long t, int j, int k, long long inner) {
    return ((t / inner) * k + j) * inner + t % inner;
}

// norms[j] = sqrt(sum of v^2 over norm j's elements).
extern "C" __global__ void weightnorm_norms(const float* __restrict__ v, double* norms, long long outer, int k,
                                            long long inner) {
    int j = blockIdx.x;
    double s = 0.0;
    for (long long t = threadIdx.x; t < outer * inner; t += blockDim.x) {
        double x = v[wn_at(t, j, k, inner)];
        s += x * x;
    }
    s = block_sum_double(s);
    if (threadIdx.x == 0) norms[j] = sqrt(s);
}

// w = (float) ((g_j * v, a float product) / norm_j).
extern "C" __global__ void weightnorm_forward(const float* __restrict__ g, const float* __restrict__ v,
                                              const double* __restrict__ norms, float* w, long long n, int k,
                                              long long inner) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int j = (int) ((i / inner) % k);
        w[i] = (float) ((double) __fmul_rn(g[j], v[i]) / norms[j]);
    }
}

// dot[j] = sum(dw v) over norm j's elements; dg[j] += dot[j] / norm_j (dg may be null).
extern "C" __global__ void weightnorm_backward_dot(const float* __restrict__ dw, const float* __restrict__ v,
                                                   const double* __restrict__ norms, double* dot, float* dg,
                                                   long long outer, int k, long long inner) {
    int j = blockIdx.x;
    double s = 0.0;
    for (long long t = threadIdx.x; t < outer * inner; t += blockDim.x) {
        long long i = wn_at(t, j, k, inner);
        s += (double) dw[i] * v[i];
    }
    s = block_sum_double(s);
    if (threadIdx.x == 0) {
        dot[j] = s;
        if (dg) dg[j] += (float) (s / norms[j]);
    }
}

// dv += g_j / norm_j * (dw - v dot_j / norm_j^2).
extern "C" __global__ void weightnorm_backward_v(const float* __restrict__ g, const float* __restrict__ v,
                                                 const float* __restrict__ dw, const double* __restrict__ norms,
                                                 const double* __restrict__ dot, float* dv, long long n, int k,
                                                 long long inner) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int j = (int) ((i / inner) % k);
        double nj = norms[j];
        double d = g[j] / nj * (dw[i] - v[i] * dot[j] / (nj * nj));
        dv[i] += (float) d;
    }
}
