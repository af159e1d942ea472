// Memory movement and reductions over one dimension: the meaning of org.sdd4j.backend.Ops's permute,
// narrow / concat (strided block copies) and max / max|.| / mean over a dimension, forward and backward.
//
// Launch (all): 1-D grid-stride, block 256, grid min(ceil(n / 256), 32 * SMs), over
//   permute_copy        the n output elements (a thread per output: coalesced writes, gathered reads)
//   copy_blocks         rows * rowLength elements
//   reduce_forward, reduce_backward   the outer * inner results (a thread walks the reduced dimension)
#include "common.cuh"

#define GRID_STRIDE(i, n) \
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < (n); i += (long long) gridDim.x * blockDim.x)

// out = x permuted: output dimension d has size dim_d and reads input stride stride_d (rank <= 6; unused
// trailing dimensions have size 1). Kernel arguments are scalars, hence the unrolled parameters.
extern "C" __global__ void permute_copy(const float* __restrict__ x, float* out, long long n, int rank,
                                        int d0, int d1, int d2, int d3, int d4, int d5,
                                        long long s0, long long s1, long long s2, long long s3, long long s4,
                                        long long s5) {
    int dims[6] = {d0, d1, d2, d3, d4, d5};
    long long strides[6] = {s0, s1, s2, s3, s4, s5};
    GRID_STRIDE(i, n) {
        long long rest = i, src = 0;
        for (int d = rank - 1; d >= 0; d--) {
            src += (rest % dims[d]) * strides[d];
            rest /= dims[d];
        }
        out[i] = x[src];
    }
}

// dst[dstOffset + r * dstStride + c] (+)= src[srcOffset + r * srcStride + c] for r < rows, c < rowLength.
extern "C" __global__ void copy_blocks(const float* __restrict__ src, long long srcOffset, long long srcStride,
                                       float* dst, long long dstOffset, long long dstStride, long long rows,
                                       long long rowLength, int accumulate) {
    GRID_STRIDE(i, rows * rowLength) {
        long long r = i / rowLength, c = i % rowLength;
        float v = src[srcOffset + r * srcStride + c];
        float* d = dst + dstOffset + r * dstStride + c;
        *d = accumulate ? *d + v : v;
    }
}

#define REDUCE_MAX 0
#define REDUCE_MAX_ABS 1
#define REDUCE_MEAN 2

// out[o, q] = reduce_t x[o, t, q]: max (NaN-propagating, as Math.max), max of |x|, or the mean.
extern "C" __global__ void reduce_forward(int kind, const float* __restrict__ x, float* out, long long outer,
                                          int len, long long inner) {
    GRID_STRIDE(j, outer * inner) {
        long long base = (j / inner) * len * inner + j % inner;
        float acc = kind == REDUCE_MEAN ? 0.0f : -INFINITY;
        for (int t = 0; t < len; t++) {
            float v = x[base + t * inner];
            if (kind == REDUCE_MEAN) acc += v;
            else {
                v = kind == REDUCE_MAX_ABS ? fabsf(v) : v;
                acc = isnan(v) || isnan(acc) ? NAN : fmaxf(acc, v);
            }
        }
        out[j] = kind == REDUCE_MEAN ? acc / (float) len : acc;
    }
}

// Mean: every element gets dy / len. Max: the first maximal element gets dy (times sign(x) for |x|).
extern "C" __global__ void reduce_backward(int kind, const float* __restrict__ x, const float* __restrict__ dy,
                                           float* dx, long long outer, int len, long long inner) {
    GRID_STRIDE(j, outer * inner) {
        long long base = (j / inner) * len * inner + j % inner;
        float g = dy[j];
        if (kind == REDUCE_MEAN) {
            for (int t = 0; t < len; t++) dx[base + t * inner] += g / (float) len;
        } else {
            int best = 0;
            float bv = -INFINITY;
            for (int t = 0; t < len; t++) {
                float v = x[base + t * inner];
                v = kind == REDUCE_MAX_ABS ? fabsf(v) : v;
                if (v > bv) {
                    bv = v;
                    best = t;
                }
            }
            float v = x[base + best * inner];
            float sign = kind == REDUCE_MAX_ABS ? (v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f)) : 1.0f;
            dx[base + best * inner] += g * sign;
        }
    }
}
