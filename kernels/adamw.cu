// Fused Adam / AdamW step over one parameter tensor, bit for bit as org.sdd4j.backend.AdamUpdate computes it
// (which follows torch.optim's float32 order of operations):
//   AdamW: p *= decay (decay = 1 - lr wd)         Adam: g += wd p
//   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g g
//   p -= step_size * (m / ((float) (sqrt((double) v) / bc2_sqrt) + eps))
// Explicit _rn intrinsics keep nvcc from contracting a multiply and an add into one FMA, which would
// round differently from the JVM; the sqrt and its division are in double, as in AdamUpdate.java.
//
// Launch: 1-D grid-stride, block 256, grid min(ceil(n / 256), 32 * SMs).
extern "C" __global__ void adam_step(float* p, const float* __restrict__ grad, float* m, float* v, long long n,
                                     int decoupled, float b1, float b2, float one_minus_b1, float one_minus_b2,
                                     float eps, float wd, float decay, float step_size, double bc2_sqrt) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        float pi = p[i], gi = grad[i];
        if (decoupled) {
            pi = __fmul_rn(pi, decay);
        } else if (wd != 0.0f) {
            gi = __fadd_rn(gi, __fmul_rn(wd, pi));
        }
        float mi = __fadd_rn(__fmul_rn(m[i], b1), __fmul_rn(one_minus_b1, gi));
        float vi = __fadd_rn(__fmul_rn(v[i], b2), __fmul_rn(__fmul_rn(one_minus_b2, gi), gi));
        m[i] = mi;
        v[i] = vi;
        float denom = __fadd_rn((float) (sqrt((double) vi) / bc2_sqrt), eps);
        p[i] = __fsub_rn(pi, __fmul_rn(step_size, __fdiv_rn(mi, denom)));
    }
}
