// Shared helpers for sdd4j's kernels: warp and block reductions.
//
// Every kernel is extern "C" so that the engine finds it by its plain name (cuModuleGetFunction), and
// takes device pointers and scalars only, launched from Java (org.sdd4j.backend.cuda.CudaKernels) with the
// grid and block its file's header comment gives. Blocks are a multiple of 32 threads, at most 1024.
#pragma once

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the block, returned to every thread. The leading barrier lets callers reduce several times
// in a row through the one shared scratch array.
__device__ __forceinline__ float block_sum(float v) {
    __shared__ float scratch[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    return warp_sum(lane < warps ? scratch[lane] : 0.0f);
}

__device__ __forceinline__ float block_max(float v) {
    __shared__ float scratch[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    return warp_max(lane < warps ? scratch[lane] : -INFINITY);
}

// Sum over the block in double, returned to every thread: a shared-memory tree, for the few sums the host
// takes in double (weight normalisation). blockDim.x must be a power of two, at most 1024.
__device__ __forceinline__ double block_sum_double(double v) {
    __shared__ double scratch[1024];
    __syncthreads();
    scratch[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) scratch[threadIdx.x] += scratch[threadIdx.x + s];
        __syncthreads();
    }
    return scratch[0];
}
