// Element-wise arithmetic with broadcasting, forward and backward: the meaning of org.sdd4j.backend.Ops's
// add / mul / scale / divide / maximum and of the gradient sums over broadcast dimensions.
//
// Broadcast form: a is [outer, mid, inner] (flat), b is [outer, inner]; element i of a pairs with
// b[(i / (mid * inner)) * inner + i % inner]. A bias or positional term over the leading dimensions is
// outer = 1, mid = n / m, inner = m; AASIST's node-times-master product is outer = B, mid = N, inner = D.
//
// Launch: every kernel but broadcast_reduce is a 1-D grid-stride loop over a's n elements, block 256,
// grid min(ceil(n / 256), 32 * SMs). broadcast_reduce: 1-D grid-stride over b's outer * inner elements,
// each thread summing its mid terms in order (deterministic, no atomics).
// Backward kernels ACCUMULATE (+=).
#include "common.cuh"

#define GRID_STRIDE(i, n) \
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < (n); i += (long long) gridDim.x * blockDim.x)

__device__ __forceinline__ long long bcast(long long i, long long mid, long long inner) {
    return (i / (mid * inner)) * inner + i % inner;
}

// out = a + b (broadcast); out may be a.
extern "C" __global__ void add_broadcast(const float* a, const float* __restrict__ b, float* out, long long n,
                                         long long mid, long long inner) {
    GRID_STRIDE(i, n) out[i] = a[i] + b[bcast(i, mid, inner)];
}

// out = a * b (broadcast); out may be a.
extern "C" __global__ void mul_broadcast(const float* a, const float* __restrict__ b, float* out, long long n,
                                         long long mid, long long inner) {
    GRID_STRIDE(i, n) out[i] = a[i] * b[bcast(i, mid, inner)];
}

// da += dy * b (broadcast).
extern "C" __global__ void mul_broadcast_backward_a(const float* __restrict__ b, const float* __restrict__ dy,
                                                    float* da, long long n, long long mid, long long inner) {
    GRID_STRIDE(i, n) da[i] += dy[i] * b[bcast(i, mid, inner)];
}

// db[o, q] += sum_t dy[o, t, q] * (a == null ? 1 : a[o, t, q]): the gradient of a broadcast operand.
extern "C" __global__ void broadcast_reduce(const float* __restrict__ a, const float* __restrict__ dy, float* db,
                                            long long outer, long long mid, long long inner) {
    GRID_STRIDE(j, outer * inner) {
        long long o = j / inner, q = j % inner;
        float s = 0.0f;
        for (long long t = 0; t < mid; t++) {
            long long i = (o * mid + t) * inner + q;
            s += a != nullptr ? dy[i] * a[i] : dy[i];
        }
        db[j] += s;
    }
}

// out = x * s, or x / s when divide (division, not a reciprocal product, to round as the references do);
// accumulate: out += instead of =.
extern "C" __global__ void scale(const float* x, float s, int divide, int accumulate, float* out, long long n) {
    GRID_STRIDE(i, n) {
        float v = divide ? x[i] / s : x[i] * s;
        out[i] = accumulate ? out[i] + v : v;
    }
}

extern "C" __global__ void maximum_forward(const float* __restrict__ a, const float* __restrict__ b, float* out,
                                           long long n) {
    // NaN wins, as Java's Math.max (fmaxf alone would drop it).
    GRID_STRIDE(i, n) out[i] = isnan(a[i]) ? a[i] : (isnan(b[i]) ? b[i] : fmaxf(a[i], b[i]));
}

// A tie splits the gradient, as torch does.
extern "C" __global__ void maximum_backward(const float* __restrict__ a, const float* __restrict__ b,
                                            const float* __restrict__ dy, float* da, float* db, long long n) {
    GRID_STRIDE(i, n) {
        float av = a[i], bv = b[i], d = dy[i];
        float toA = av > bv ? d : (av == bv ? d / 2.0f : 0.0f);
        if (da != nullptr) da[i] += toA;
        if (db != nullptr) db[i] += d - toA;
    }
}

// Inverted dropout with a mask drawn on the host, one byte per element: out = x * (mask[i] ? keep : 0).
extern "C" __global__ void dropout_forward(const float* __restrict__ x, const unsigned char* __restrict__ mask,
                                           float keep, float* out, long long n) {
    GRID_STRIDE(i, n) out[i] = x[i] * (mask[i] ? keep : 0.0f);
}

// dx += dy * (mask[i] ? keep : 0).
extern "C" __global__ void dropout_backward(const unsigned char* __restrict__ mask, float keep,
                                            const float* __restrict__ dy, float* dx, long long n) {
    GRID_STRIDE(i, n) dx[i] += dy[i] * (mask[i] ? keep : 0.0f);
}

// partials[block] = sum of x^2 over the block's grid-stride share, in double (gradient-norm clipping); the host
// adds the partials in block order, so the result does not depend on scheduling.
extern "C" __global__ void sum_squares(const float* __restrict__ x, double* partials, long long n) {
    double s = 0.0;
    GRID_STRIDE(i, n) {
        double v = x[i];
        s += v * v;
    }
    s = block_sum_double(s);
    if (threadIdx.x == 0) partials[blockIdx.x] = s;
}
