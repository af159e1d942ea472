// Max pooling of [B, C, H, W] with stride equal to the kernel (floor mode), forward and backward, with the
// meaning of org.sdd4j.backend.ReferenceBackend: NaN propagates, ties go to the first maximum in row-major
// window order (torch's CPU rule).
//
// Launch (both): 1-D grid-stride over the B*C*Ho*Wo outputs, block 256, grid min(ceil(n / 256), 32 * SMs).
// Windows never overlap (stride == kernel), so backward adds each output's gradient to one input without
// atomics. Backward ACCUMULATES into dx.
#include "common.cuh"

__device__ __forceinline__ long long maxpool_argmax(const float* x, long long plane, int h, int w, int oy, int ox,
                                                    int kh, int kw) {
    long long best = (plane * h + (long long) oy * kh) * w + (long long) ox * kw;
    float m = -INFINITY;
    for (int dy = 0; dy < kh; dy++) {
        for (int dx = 0; dx < kw; dx++) {
            long long i = (plane * h + (long long) oy * kh + dy) * w + (long long) ox * kw + dx;
            float v = x[i];
            if (v > m || isnan(v)) {
                m = v;
                best = i;
                if (isnan(v)) return best;
            }
        }
    }
    return best;
}

extern "C" __global__ void maxpool2d_forward(const float* __restrict__ x, float* y, long long planes, int h, int w,
                                             int ho, int wo, int kh, int kw) {
    long long n = planes * ho * wo;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int ox = (int) (i % wo), oy = (int) ((i / wo) % ho);
        long long plane = i / ((long long) ho * wo);
        y[i] = x[maxpool_argmax(x, plane, h, w, oy, ox, kh, kw)];
    }
}

extern "C" __global__ void maxpool2d_backward(const float* __restrict__ x, const float* __restrict__ dy, float* dx,
                                              long long planes, int h, int w, int ho, int wo, int kh, int kw) {
    long long n = planes * ho * wo;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int ox = (int) (i % wo), oy = (int) ((i / wo) % ho);
        long long plane = i / ((long long) ho * wo);
        dx[maxpool_argmax(x, plane, h, w, oy, ox, kh, kw)] += dy[i];
    }
}
