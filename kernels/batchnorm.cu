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

// Sum over one channel's B*L values, to every thread of the block.
__device__ __forceinline__ float channel_sum(const float* x, int batch, int channels, long long len, int ch,
                                             float shift, bool squares) {
    float s = 0.0f;
    for (int b = 0; b < batch; b++) {
        const float* xc = x + ((long long) b * channels + ch) * len;
        for (long long t = threadIdx.x; t < len; t += blockDim.x) {
            float v = xc[t] - shift;
            s += squares ? v * v : v;
        }
    }
    return block_sum(s);
}

extern "C" __global__ void batchnorm_train_forward(const float* __restrict__ x, const float* __restrict__ w,
                                                   const float* __restrict__ b, float* runningMean, float* runningVar,
                                                   float momentum, float eps, float* y, float* saveMean,
                                                   float* saveInvStd, int batch, int channels, long long len) {
    int ch = blockIdx.x;
    if (ch >= channels) return;
    float count = (float) batch * (float) len;
    float mean = channel_sum(x, batch, channels, len, ch, 0.0f, false) / count;
    float var = channel_sum(x, batch, channels, len, ch, mean, true) / count;
    float inv = 1.0f / sqrtf(var + eps);
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
            float unbiased = var * count / (count - 1.0f);
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
    float sd = 0.0f, sdx = 0.0f;
    for (int q = 0; q < batch; q++) {
        long long o = ((long long) q * channels + ch) * len;
        for (long long t = threadIdx.x; t < len; t += blockDim.x) {
            float d = dy[o + t];
            sd += d;
            sdx += d * (x[o + t] - mean) * inv;
        }
    }
    sd = block_sum(sd);
    sdx = block_sum(sdx);
    float count = (float) batch * (float) len;
    float mg = sd * wt / count, mgx = sdx * wt / count;
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
    float sd = 0.0f, sdx = 0.0f;
    for (int q = 0; q < batch; q++) {
        long long o = ((long long) q * channels + ch) * len;
        for (long long t = threadIdx.x; t < len; t += blockDim.x) {
            float d = dy[o + t];
            sd += d;
            sdx += d * (x[o + t] - m) * inv;
            if (dx != nullptr) dx[o + t] += d * inv * wt;
        }
    }
    sd = block_sum(sd);
    sdx = block_sum(sdx);
    if (threadIdx.x == 0) {
        if (dw != nullptr) dw[ch] += sdx;
        if (db != nullptr) db[ch] += sd;
    }
}
