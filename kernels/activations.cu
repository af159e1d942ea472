// Element-wise activations, forward and backward: SELU, GELU (erf form, torch's default), sigmoid, tanh,
// |x| and ReLU, numbered as org.sdd4j.backend.Activation's constants (GELU = 0 ... RELU = 5).
//
// Launch (both kernels): 1-D grid-stride, block 256, grid min(ceil(n / 256), 32 * SMs).
// Backward ACCUMULATES into dx (dx += f'(x) dy), as every Backend gradient does.
#include "common.cuh"

#define ACT_GELU 0
#define ACT_SELU 1
#define ACT_SIGMOID 2
#define ACT_TANH 3
#define ACT_ABS 4
#define ACT_RELU 5

#define SELU_SCALE 1.0507009873554804934193349852946f
#define SELU_ALPHA 1.6732632423543772848170429916717f
#define INV_SQRT2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f

__device__ __forceinline__ float act_apply(int kind, float x) {
    switch (kind) {
        case ACT_GELU: return 0.5f * x * (1.0f + erff(x * INV_SQRT2));
        case ACT_SELU: return SELU_SCALE * (x > 0.0f ? x : SELU_ALPHA * expm1f(x));
        case ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
        case ACT_TANH: return tanhf(x);
        case ACT_ABS: return fabsf(x);
        default: return x > 0.0f ? x : (isnan(x) ? x : 0.0f);
    }
}

// f'(x); y = f(x) gives the cheap forms for sigmoid and tanh.
__device__ __forceinline__ float act_derivative(int kind, float x, float y) {
    switch (kind) {
        case ACT_GELU: return 0.5f * (1.0f + erff(x * INV_SQRT2)) + x * expf(-0.5f * x * x) * INV_SQRT_2PI;
        case ACT_SELU: return x > 0.0f ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * expf(x);
        case ACT_SIGMOID: return y * (1.0f - y);
        case ACT_TANH: return 1.0f - y * y;
        case ACT_ABS: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
        default: return x > 0.0f ? 1.0f : 0.0f;
    }
}

extern "C" __global__ void activation_forward(int kind, const float* __restrict__ x, float* y, long long n) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        y[i] = act_apply(kind, x[i]);
    }
}

// y may be null (Ops passes f(x) only for sigmoid and tanh): then it is recomputed where the derivative needs it.
extern "C" __global__ void activation_backward(int kind, const float* __restrict__ x, const float* __restrict__ y,
                                               const float* __restrict__ dy, float* dx, long long n) {
    bool needs_y = kind == ACT_SIGMOID || kind == ACT_TANH;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        float xi = x[i];
        float yi = needs_y ? (y ? y[i] : act_apply(kind, xi)) : 0.0f;
        dx[i] += act_derivative(kind, xi, yi) * dy[i];
    }
}
