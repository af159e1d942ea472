// Layer normalisation (over the last dimension) and group normalisation (of [B, C, L]), forward and
// backward, with the meaning of org.sdd4j.backend.ReferenceBackend.
//
// Statistics are two-pass (mean, then the mean of squared deviations) in float, per row or group.
// Backward is split in two kernels so that the affine gradients need no atomics and are reproducible:
// the *_backward_input kernel writes dx and each set's (mean, 1/std) into `stats`, and the
// *_backward_params kernel reduces dweight and dbias from them.
//
// Launch:
//   layernorm_forward, layernorm_backward_input   grid = rows, block 256
//   layernorm_backward_params                      grid = ceil(d / 256), block 256 (a thread per column)
//   groupnorm_forward, groupnorm_backward_input   grid = B * groups, block 256
//   groupnorm_backward_params                      grid = C, block 256 (a block per channel)
//   layernorm_channels_forward, layernorm_channels_backward_input
//                                                  1-D grid-stride over the B*L positions, block 256, grid
//                                                  min(ceil(B*L / 256), 32 * SMs): a thread per position walks
//                                                  the C channels, neighbouring threads read neighbouring t
//   layernorm_channels_backward_params             grid = C, block 256 (a block per channel)
// Gradients ACCUMULATE (+=); dx, dw, db may be null (not wanted). The weight and bias gradients sum a column's
// or channel's terms over every row or position in double, as the batch-norm kernels do: they cancel heavily.
#include "common.cuh"

// Mean and 1/sqrt(var + eps) of n values at x[0], x[stride], ... over the block.
__device__ __forceinline__ float2 block_moments(const float* x, long long n, float eps) {
    float s = 0.0f;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) s += x[i];
    float mean = block_sum(s) / (float) n;
    float q = 0.0f;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
        float c = x[i] - mean;
        q += c * c;
    }
    float var = block_sum(q) / (float) n;
    return make_float2(mean, rsqrtf(var + eps));
}

// w == null: no affine at all (bias ignored); w != null, b == null: no bias.
extern "C" __global__ void layernorm_forward(const float* __restrict__ x, const float* __restrict__ w,
                                             const float* __restrict__ b, float* y, int rows, int d, float eps) {
    int r = blockIdx.x;
    if (r >= rows) return;
    const float* xr = x + (long long) r * d;
    float2 st = block_moments(xr, d, eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        float v = (xr[i] - st.x) * st.y;
        if (w != nullptr) v = v * w[i] + (b != nullptr ? b[i] : 0.0f);
        y[(long long) r * d + i] = v;
    }
}

// dx += inv * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * w; stats[2r] = mean, stats[2r+1] = inv.
extern "C" __global__ void layernorm_backward_input(const float* __restrict__ x, const float* __restrict__ w,
                                                    const float* __restrict__ dy, float* dx, float* stats,
                                                    int rows, int d, float eps) {
    int r = blockIdx.x;
    if (r >= rows) return;
    long long o = (long long) r * d;
    float2 st = block_moments(x + o, d, eps);
    float sg = 0.0f, sgx = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        float g = dy[o + i] * (w != nullptr ? w[i] : 1.0f);
        sg += g;
        sgx += g * (x[o + i] - st.x) * st.y;
    }
    float mg = block_sum(sg) / (float) d, mgx = block_sum(sgx) / (float) d;
    if (dx != nullptr) {
        for (int i = threadIdx.x; i < d; i += blockDim.x) {
            float g = dy[o + i] * (w != nullptr ? w[i] : 1.0f);
            float xhat = (x[o + i] - st.x) * st.y;
            dx[o + i] += st.y * (g - mg - xhat * mgx);
        }
    }
    if (threadIdx.x == 0) {
        stats[2 * r] = st.x;
        stats[2 * r + 1] = st.y;
    }
}

// dw[j] += sum_r dy[r, j] * xhat[r, j]; db[j] += sum_r dy[r, j]. Coalesced: neighbouring threads, neighbouring columns.
extern "C" __global__ void layernorm_backward_params(const float* __restrict__ x, const float* __restrict__ dy,
                                                     const float* __restrict__ stats, float* dw, float* db,
                                                     int rows, int d) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= d) return;
    double sw = 0.0, sb = 0.0;
    for (int r = 0; r < rows; r++) {
        long long i = (long long) r * d + j;
        sw += (double) dy[i] * ((x[i] - stats[2 * r]) * stats[2 * r + 1]);
        sb += dy[i];
    }
    if (dw != nullptr) dw[j] += (float) sw;
    if (db != nullptr) db[j] += (float) sb;
}

// One block per (batch, group): the group is cpg * len contiguous values.
extern "C" __global__ void groupnorm_forward(const float* __restrict__ x, const float* __restrict__ w,
                                             const float* __restrict__ b, float* y, int batch, int channels,
                                             long long len, int groups, float eps) {
    int bg = blockIdx.x;
    if (bg >= batch * groups) return;
    int cpg = channels / groups, g = bg % groups;
    long long n = (long long) cpg * len, o = (long long) bg * n;
    float2 st = block_moments(x + o, n, eps);
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
        int ch = g * cpg + (int) (i / len);
        y[o + i] = (x[o + i] - st.x) * st.y * w[ch] + b[ch];
    }
}

extern "C" __global__ void groupnorm_backward_input(const float* __restrict__ x, const float* __restrict__ w,
                                                    const float* __restrict__ dy, float* dx, float* stats,
                                                    int batch, int channels, long long len, int groups, float eps) {
    int bg = blockIdx.x;
    if (bg >= batch * groups) return;
    int cpg = channels / groups, g = bg % groups;
    long long n = (long long) cpg * len, o = (long long) bg * n;
    float2 st = block_moments(x + o, n, eps);
    float sg = 0.0f, sgx = 0.0f;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
        float gv = dy[o + i] * w[g * cpg + (int) (i / len)];
        sg += gv;
        sgx += gv * (x[o + i] - st.x) * st.y;
    }
    float mg = block_sum(sg) / (float) n, mgx = block_sum(sgx) / (float) n;
    if (dx != nullptr) {
        for (long long i = threadIdx.x; i < n; i += blockDim.x) {
            float gv = dy[o + i] * w[g * cpg + (int) (i / len)];
            dx[o + i] += st.y * (gv - mg - (x[o + i] - st.x) * st.y * mgx);
        }
    }
    if (threadIdx.x == 0) {
        stats[2 * bg] = st.x;
        stats[2 * bg + 1] = st.y;
    }
}

// One block per channel: sums over the batch and the positions of that channel.
extern "C" __global__ void groupnorm_backward_params(const float* __restrict__ x, const float* __restrict__ dy,
                                                     const float* __restrict__ stats, float* dw, float* db,
                                                     int batch, int channels, long long len, int groups) {
    int ch = blockIdx.x;
    if (ch >= channels) return;
    int g = ch / (channels / groups);
    double sw = 0.0, sb = 0.0;
    for (int b = 0; b < batch; b++) {
        long long o = ((long long) b * channels + ch) * len;
        float mean = stats[2 * (b * groups + g)], inv = stats[2 * (b * groups + g) + 1];
        for (long long t = threadIdx.x; t < len; t += blockDim.x) {
            sw += (double) dy[o + t] * ((x[o + t] - mean) * inv);
            sb += dy[o + t];
        }
    }
    sw = block_sum_double(sw);
    sb = block_sum_double(sb);
    if (threadIdx.x == 0) {
        if (dw != nullptr) dw[ch] += (float) sw;
        if (db != nullptr) db[ch] += (float) sb;
    }
}

// Layer norm over the channels of [B, C, L] at each position (wav2vec 2.0's extractor), without transposes.
extern "C" __global__ void layernorm_channels_forward(const float* __restrict__ x, const float* __restrict__ w,
                                                      const float* __restrict__ b, float* y, int batch,
                                                      int channels, int len, float eps) {
    long long n = (long long) batch * len;
    for (long long p = blockIdx.x * (long long) blockDim.x + threadIdx.x; p < n; p += (long long) gridDim.x * blockDim.x) {
        long long base = (p / len) * channels * (long long) len + p % len;
        float s = 0.0f;
        for (int c = 0; c < channels; c++) s += x[base + (long long) c * len];
        float mean = s / (float) channels, q = 0.0f;
        for (int c = 0; c < channels; c++) {
            float d = x[base + (long long) c * len] - mean;
            q += d * d;
        }
        float inv = rsqrtf(q / (float) channels + eps);
        for (int c = 0; c < channels; c++) {
            long long i = base + (long long) c * len;
            y[i] = (x[i] - mean) * inv * w[c] + b[c];
        }
    }
}

// dx += inv * (g - mean(g) - xhat * mean(g * xhat)), g = dy * w; stats[2p] = mean, stats[2p+1] = inv.
extern "C" __global__ void layernorm_channels_backward_input(const float* __restrict__ x, const float* __restrict__ w,
                                                             const float* __restrict__ dy, float* dx, float* stats,
                                                             int batch, int channels, int len, float eps) {
    long long n = (long long) batch * len;
    for (long long p = blockIdx.x * (long long) blockDim.x + threadIdx.x; p < n; p += (long long) gridDim.x * blockDim.x) {
        long long base = (p / len) * channels * (long long) len + p % len;
        float s = 0.0f;
        for (int c = 0; c < channels; c++) s += x[base + (long long) c * len];
        float mean = s / (float) channels, q = 0.0f;
        for (int c = 0; c < channels; c++) {
            float d = x[base + (long long) c * len] - mean;
            q += d * d;
        }
        float inv = rsqrtf(q / (float) channels + eps);
        float sg = 0.0f, sgx = 0.0f;
        for (int c = 0; c < channels; c++) {
            long long i = base + (long long) c * len;
            float g = dy[i] * w[c];
            sg += g;
            sgx += g * (x[i] - mean) * inv;
        }
        float mg = sg / (float) channels, mgx = sgx / (float) channels;
        if (dx != nullptr) {
            for (int c = 0; c < channels; c++) {
                long long i = base + (long long) c * len;
                dx[i] += inv * (dy[i] * w[c] - mg - (x[i] - mean) * inv * mgx);
            }
        }
        stats[2 * p] = mean;
        stats[2 * p + 1] = inv;
    }
}

extern "C" __global__ void layernorm_channels_backward_params(const float* __restrict__ x, const float* __restrict__ dy,
                                                              const float* __restrict__ stats, float* dw, float* db,
                                                              int batch, int channels, int len) {
    int c = blockIdx.x;
    if (c >= channels) return;
    double sw = 0.0, sb = 0.0;
    for (int q = 0; q < batch; q++) {
        long long o = ((long long) q * channels + c) * len;
        for (int t = threadIdx.x; t < len; t += blockDim.x) {
            long long p = (long long) q * len + t;
            sw += (double) dy[o + t] * ((x[o + t] - stats[2 * p]) * stats[2 * p + 1]);
            sb += dy[o + t];
        }
    }
    sw = block_sum_double(sw);
    sb = block_sum_double(sb);
    if (threadIdx.x == 0) {
        if (dw != nullptr) dw[c] += (float) sw;
        if (db != nullptr) db[c] += (float) sb;
    }
}
