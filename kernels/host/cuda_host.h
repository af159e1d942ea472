// Lets kernels/*.cu compile as plain C++ for the host emulator (emulator.cpp): the CUDA keywords become
// nothing or their C++ equivalents, the built-in indices become the emulator's per-thread state, and
// the intrinsics the kernels use map to host functions with the same meaning.
//
// Only what sdd4j's kernels use is here; a kernel that uses something else fails to compile on the host,
// which is the point: build-host.sh then names the missing piece.
#pragma once
#include <math.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
// Blocks run one after another on one OS thread, so a static is exactly one block's shared array.
#define __shared__ static

struct uint3 { unsigned x, y, z; };
struct dim3 { unsigned x, y, z; };
struct float2 { float x, y; };
inline float2 make_float2(float x, float y) { return float2{x, y}; }

namespace sdd4j_emu {
extern uint3 thread_idx, block_idx;
extern dim3 block_dim, grid_dim;
void syncthreads();
float shfl_xor(float v, int lane_mask);
}  // namespace sdd4j_emu

#define threadIdx sdd4j_emu::thread_idx
#define blockIdx sdd4j_emu::block_idx
#define blockDim sdd4j_emu::block_dim
#define gridDim sdd4j_emu::grid_dim

inline void __syncthreads() { sdd4j_emu::syncthreads(); }
// Every shuffle in the kernels is full-warp (mask 0xffffffff); the emulator checks that the warp is converged.
inline float __shfl_xor_sync(unsigned, float v, int lane_mask) { return sdd4j_emu::shfl_xor(v, lane_mask); }

// The _rn intrinsics exist to keep nvcc from contracting into FMAs; the host build uses -ffp-contract=off.
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float sdd4j_emu_rsqrtf(float x) { return 1.0f / sqrtf(x); }
#define rsqrtf sdd4j_emu_rsqrtf
