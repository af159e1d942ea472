// Kernels that exist only in the host emulator, for its own tests (EmulatorSelfTest): one correct use of the
// block and warp reductions, the two mistakes the emulator must report rather than hang on, a write past the
// end of a buffer, which its guard bytes catch, and a missing barrier, which a reversed schedule exposes.
#include "../common.cuh"

// out[b] = sum of x[b * blockDim.x + t] over the block's threads, via block_sum (warp shuffles and barriers).
extern "C" __global__ void selftest_block_sum(const float* __restrict__ x, float* out) {
    float s = block_sum(x[blockIdx.x * blockDim.x + threadIdx.x]);
    if (threadIdx.x == 0) out[blockIdx.x] = s;
}

// The first warp waits at one __syncthreads, the rest at another: undefined on a GPU (the hardware barrier
// is the same, so it usually "works" and silently mis-synchronises).
extern "C" __global__ void selftest_divergent_barrier(float* out) {
    // Different code around each call, so that the compiler cannot merge the two into one call site.
    if (threadIdx.x < 32) {
        out[threadIdx.x] = 2.0f;
        __syncthreads();
        out[threadIdx.x] += 1.0f;
    } else {
        __syncthreads();
        out[threadIdx.x] = 1.0f;
    }
}

// A full-mask shuffle inside a branch that splits the warp.
extern "C" __global__ void selftest_diverged_shuffle(float* out) {
    float v = 1.0f;
    if ((threadIdx.x & 31) < 16) {
        v = warp_sum(v);
    } else {
        __syncthreads();
    }
    out[threadIdx.x] = v;
}

// x[0..n] = 1: one element too many (an off-by-one bound).
extern "C" __global__ void selftest_write_past_end(float* x, int n) {
    for (int i = threadIdx.x; i <= n; i += blockDim.x) x[i] = 1.0f;
}

// out[t] = the neighbour's shared value (base + t + 1), read with no __syncthreads after the writes: a race on
// a GPU. In thread order each thread reads its neighbour's slot before the neighbour writes it; reversed, after.
extern "C" __global__ void selftest_missing_barrier(float* out, float base) {
    __shared__ float slot[1024];
    slot[threadIdx.x] = base + float(threadIdx.x);
    out[threadIdx.x] = slot[(threadIdx.x + 1) % blockDim.x];
}
