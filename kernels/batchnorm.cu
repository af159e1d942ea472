// Batch normalisation of [B, C, L] (L = the product of the dimensions after C) over channel dim 1, with the
// meaning of org.sdd4j.backend.ReferenceBackend: inference with fixed statistics, training with the batch's
// mean and biased variance (running statistics updated with the unbiased one), and both backward passes.
//
// Launch:
//   batchnorm_eval_forward         1-D grid-stride over B*C*L, block 256, grid min(ceil(n / 256), 32 * SMs)
//   batchnorm_train_forward        grid = C, block 256 (a block per channel: two-pass statistics, then y)
//   batchnorm_backward             grid = C, block 256
//   batchnorm_eval_backward        grid = C, block 256
// Gradients ACCUMULATE (+=); dx, dw, db may be null. weight/bias may be null in training (no affine).
// Channel sums (statistics, and the gradient sums dw = sum dy xhat and db = sum dy, which cancel heavily over a
// channel's B*L terms) run in double, as the host references take them: in float, AASIST-L's whole-model
// gradients missed PyTorch's float64 ones by 1.5e-3 where the CPU backends stay within 1e-3.
#include "common.cuh"

extern "C" __global__ void batchnorm_eval_forward(const float* __restrict__ x, const float* __restrict__ mean,
                                                  const float* __restrict__ var, const float* __restrict__ w,
                                                  const float* __restrict__ b, float* y, int batch, int channels,
                                                  long long len, float eps) {
    long long n = (long long) batch * channels * len;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int ch = (int) ((i / len) % channels);
        // The reference computes 1/sqrt in double; rsqrtf is within 2 ulp, sqrtf + division rounds correctly.
        float inv = 1.0f / sqrtf(var[ch] + eps);
        y[i] = (x[i] - mean[ch]) * inv * w[ch] + b[ch];
    }
}

// Sum over one channel's B*L values, in double, to every thread of the block.
__device__ __forceinline__ double channel_sum(const float* x, int batch, int channels, long long len, int ch,
                                              double shift, bool squares) {
    double s = 0.0;
    for (int b = 0; b < batch; b++) {
        const float* xc = x + ((long long) b * channels + ch) * len;
        for (long long t = threadIdx.x; t < len; t += blockDim.x) {
            double v = xc[t] - shift;
            s += squares ? v * v : v;
        }
    }
    return block_sum_double(s);
}

extern "C" __global__ void batchnorm_train_forward(const float* __restrict__ x, const float* __restrict__ w,
                                                   const float* __restrict__ b, float* runningMean, float* runningVar,
                                                   float momentum, float eps, float* y, float* saveMean,
                                                   float* saveInvStd, int batch, int channels, long long len) {
    int ch = blockIdx.x;
    if (ch >= channels) return;
    double count = (double) batch * (double) len;
    double meanD = channel_sum(x, batch, channels, len, ch, 0.0, false) / count;
    double varD = channel_sum(x, batch, channels, len, ch, meanD, true) / count;
    float mean = (float) meanD;
    float inv = (float) (1.0 / sqrt(varD + (double) eps));
    float wt = w != nullptr ? w[ch] : 1.0f, bs = b != nullptr ? b[ch] : 0.0f;
    for (int q = 0; q < batch; q++) {
        long long o = ((long long) q * channels + ch) * len;
        for (long long t = threadIdx.x; t < len; t += blockDim.x) y[o + t] = (x[o + t] - mean) * inv * wt + bs;
    }
    if (threadIdx.x == 0) {
        if (saveMean != nullptr) saveMean[ch] = mean;
        if (saveInvStd != nullptr) saveInvStd[ch] = inv;
        if (runningMean != nullptr) runningMean[ch] = (1.0f - momentum) * runningMean[ch] + momentum * mean;
        if (runningVar != nullptr) {
            float unbiased = (float) (varD * count / (count - 1.0));
            runningVar[ch] = (1.0f - momentum) * runningVar[ch] + momentum * unbiased;
        }
    }
}

// dx += inv * (g - mean(g) - xhat * mean(g * xhat)), g = dy * w; dw += sum dy * xhat; db += sum dy.
extern "C" __global__ void batchnorm_backward(const float* __restrict__ x, const float* __restrict__ w,
                                              const float* __restrict__ saveMean, const float* __restrict__ saveInvStd,
                                              const float* __restrict__ dy, float* dx, float* dw, float* db,
                                              int batch, int channels, long long len) {
    int ch = blockIdx.x;
    if (ch >= channels) return;
    float mean = saveMean[ch], inv = saveInvStd[ch], wt = w != nullptr ? w[ch] : 1.0f;
    double sdD = 0.0, sdxD = 0.0;
    for (int q = 0; q < batch; q++) {
        long long o = ((long long) q * channels + ch) * len;
        for (long long t = threadIdx.x; t < len; t += blockDim.x) {
            double d = dy[o + t];
            sdD += d;
            sdxD += d * ((double) x[o + t] - mean) * inv;
        }
    }
    sdD = block_sum_double(sdD);
    sdxD = block_sum_double(sdxD);
    double count = (double) batch * (double) len;
    float sd = (float) sdD, sdx = (float) sdxD;
    float mg = (float) (sdD * wt / count), mgx = (float) (sdxD * wt / count);
    if (dx != nullptr) {
        for (int q = 0; q < batch; q++) {
            long long o = ((long long) q * channels + ch) * len;
            for (long long t = threadIdx.x; t < len; t += blockDim.x) {
                float xhat = (x[o + t] - mean) * inv;
                dx[o + t] += inv * (dy[o + t] * wt - mg - xhat * mgx);
            }
        }
    }
    if (threadIdx.x == 0) {
        if (dw != nullptr) dw[ch] += sdx;
        if (db != nullptr) db[ch] += sd;
    }
}

// Fixed statistics: y = x * s + t per channel, so dx += dy * w * inv; dw += sum dy * xhat; db += sum dy.
extern "C" __global__ void batchnorm_eval_backward(const float* __restrict__ x, const float* __restrict__ mean,
                                                   const float* __restrict__ var, const float* __restrict__ w,
                                                   float eps, const float* __restrict__ dy, float* dx, float* dw,
                                                   float* db, int batch, int channels, long long len) {
    int ch = blockIdx.x;
    if (ch >= channels) return;
    float inv = 1.0f / sqrtf(var[ch] + eps), m = mean[ch], wt = w[ch];
    double sdD = 0.0, sdxD = 0.0;
    for (int q = 0; q < batch; q++) {
        long long o = ((long long) q * channels + ch) * len;
        for (long long t = threadIdx.x; t < len; t += blockDim.x) {
            float d = dy[o + t];
            sdD += d;
            sdxD += (double) d * ((double) x[o + t] - m) * inv;
            if (dx != nullptr) dx[o + t] += d * inv * wt;
        }
    }
    sdD = block_sum_double(sdD);
    sdxD = block_sum_double(sdxD);
    float sd = (float) sdD, sdx = (float) sdxD;
    if (threadIdx.x == 0) {
        if (dw != nullptr) dw[ch] += sdx;
        if (db != nullptr) db[ch] += sd;
    }
}
