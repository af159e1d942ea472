// Convolution pieces for the im2col + GEMM convolutions of org.sdd4j.backend.cuda (1-D convolutions run as
// 2-D ones of height 1): unfold one batch item into columns, fold column gradients back, and the
// per-channel bias and its gradient. The matrix products themselves are cuBLASLt's.
//
// Column layout of one batch item: col[(c * kh + ky) * kw + kx, oy * wout + ox] = x[c, oy*sh - ph + ky,
// ox*sw - pw + kx] (zero outside), for every input channel c. Group g's rows are the contiguous block of
// its cpg * kh * kw rows, so a grouped convolution is a strided batch of GEMMs over groups.
//
// Launch (all): 1-D grid-stride, block 256, grid min(ceil(n / 256), 32 * SMs), over
//   im2col              the rows * P column elements (P = hout * wout), a thread per column element
//   col2im              the C * H * W input elements: each gathers its (at most kh * kw) column terms,
//                       so no atomics and a fixed summation order
//   channel_bias_add    the B * C * L outputs
//   channel_bias_grad   grid = C, block 256 (a block per channel)
// col2im and channel_bias_grad ACCUMULATE (+=).
#include "common.cuh"

#define GRID_STRIDE(i, n) \
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < (n); i += (long long) gridDim.x * blockDim.x)

extern "C" __global__ void im2col(const float* __restrict__ x, float* col, int channels, int h, int w, int kh, int kw,
                                  int sh, int sw, int ph, int pw, int hout, int wout) {
    long long p = (long long) hout * wout, n = (long long) channels * kh * kw * p;
    GRID_STRIDE(i, n) {
        long long row = i / p, pos = i % p;
        int kx = (int) (row % kw), ky = (int) ((row / kw) % kh), c = (int) (row / ((long long) kw * kh));
        int oy = (int) (pos / wout), ox = (int) (pos % wout);
        int iy = oy * sh - ph + ky, ix = ox * sw - pw + kx;
        col[i] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[((long long) c * h + iy) * w + ix] : 0.0f;
    }
}

extern "C" __global__ void col2im(const float* __restrict__ col, float* dx, int channels, int h, int w, int kh,
                                  int kw, int sh, int sw, int ph, int pw, int hout, int wout) {
    long long p = (long long) hout * wout, n = (long long) channels * h * w;
    GRID_STRIDE(i, n) {
        int ix = (int) (i % w), iy = (int) ((i / w) % h), c = (int) (i / ((long long) w * h));
        float s = 0.0f;
        for (int ky = 0; ky < kh; ky++) {
            int ty = iy + ph - ky;
            if (ty < 0 || ty % sh != 0 || ty / sh >= hout) continue;
            int oy = ty / sh;
            for (int kx = 0; kx < kw; kx++) {
                int tx = ix + pw - kx;
                if (tx < 0 || tx % sw != 0 || tx / sw >= wout) continue;
                s += col[(((long long) c * kh + ky) * kw + kx) * p + (long long) oy * wout + tx / sw];
            }
        }
        dx[i] += s;
    }
}

// out[b, c, t] += bias[c].
extern "C" __global__ void channel_bias_add(float* out, const float* __restrict__ bias, long long n, int channels,
                                            long long len) {
    GRID_STRIDE(i, n) out[i] += bias[(i / len) % channels];
}

// db[c] += sum over b, t of dy[b, c, t].
extern "C" __global__ void channel_bias_grad(const float* __restrict__ dy, float* db, int batch, int channels,
                                             long long len) {
    int c = blockIdx.x;
    if (c >= channels) return;
    float s = 0.0f;
    for (int b = 0; b < batch; b++) {
        const float* d = dy + ((long long) b * channels + c) * len;
        for (long long t = threadIdx.x; t < len; t += blockDim.x) s += d[t];
    }
    s = block_sum(s);
    if (threadIdx.x == 0) db[c] += s;
}
