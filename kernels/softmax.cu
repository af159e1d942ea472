// Softmax over the last dimension of a [rows, d] tensor, forward and backward.
//
// Launch (both): grid = rows, block 256 (one block per row; d may be any size, each thread strides it).
// Backward ACCUMULATES: dx += y * (dy - sum(dy * y)).
#include "common.cuh"

extern "C" __global__ void softmax_forward(const float* __restrict__ x, float* y, int rows, int d) {
    int r = blockIdx.x;
    if (r >= rows) return;
    const float* xr = x + (long long) r * d;
    float* yr = y + (long long) r * d;
    float m = -INFINITY;
    for (int i = threadIdx.x; i < d; i += blockDim.x) m = fmaxf(m, xr[i]);
    m = block_max(m);
    float s = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) s += expf(xr[i] - m);
    s = block_sum(s);
    float inv = 1.0f / s;
    for (int i = threadIdx.x; i < d; i += blockDim.x) yr[i] = expf(xr[i] - m) * inv;
}

extern "C" __global__ void softmax_backward(const float* __restrict__ y, const float* __restrict__ dy, float* dx,
                                            int rows, int d) {
    int r = blockIdx.x;
    if (r >= rows) return;
    long long o = (long long) r * d;
    float dot = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) dot += dy[o + i] * y[o + i];
    dot = block_sum(dot);
    for (int i = threadIdx.x; i < d; i += blockDim.x) dx[o + i] += y[o + i] * (dy[o + i] - dot);
}
