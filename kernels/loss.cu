// Training losses on [B, C] logits: weighted cross-entropy (torch.nn.CrossEntropyLoss(weight=w), mean
// reduction, as org.sdd4j.train.Losses.crossEntropy) and the GRPO objective of DESIGN.md section 4
// (clipped importance ratio times advantage, minus beta times the k3 KL estimate to a reference policy).
//
// Batches here are small (B utterances, G samples each, B * G ~ 10^3), so each kernel is ONE block of
// 256 threads looping over rows: one launch, no second reduction pass, a fixed summation order.
// Launch: grid 1, block 256. `loss` is one float (overwritten); `dloss` points at the upstream gradient
// of the loss (one float); dlogits ACCUMULATES.
#include "common.cuh"

// -log softmax(z)[y] and softmax probabilities computed stably per row.
__device__ __forceinline__ float row_log_sum_exp(const float* z, int c, float* max_out) {
    float m = -INFINITY;
    for (int j = 0; j < c; j++) m = fmaxf(m, z[j]);
    float s = 0.0f;
    for (int j = 0; j < c; j++) s += expf(z[j] - m);
    *max_out = m;
    return logf(s);
}

extern "C" __global__ void cross_entropy_forward(const float* __restrict__ logits, const int* __restrict__ labels,
                                                 const float* __restrict__ class_weights, float* loss, int batch,
                                                 int classes) {
    float total = 0.0f, wsum = 0.0f;
    for (int i = threadIdx.x; i < batch; i += blockDim.x) {
        const float* z = logits + (long long) i * classes;
        float m, lse = row_log_sum_exp(z, classes, &m);
        float w = class_weights != nullptr ? class_weights[labels[i]] : 1.0f;
        total += -w * (z[labels[i]] - m - lse);
        wsum += w;
    }
    total = block_sum(total);
    wsum = block_sum(wsum);
    if (threadIdx.x == 0) loss[0] = total / wsum;
}

extern "C" __global__ void cross_entropy_backward(const float* __restrict__ logits, const int* __restrict__ labels,
                                                  const float* __restrict__ class_weights,
                                                  const float* __restrict__ dloss, float* dlogits, int batch,
                                                  int classes) {
    float wsum = 0.0f;
    for (int i = threadIdx.x; i < batch; i += blockDim.x) {
        wsum += class_weights != nullptr ? class_weights[labels[i]] : 1.0f;
    }
    wsum = block_sum(wsum);
    float g = dloss[0];
    for (int i = threadIdx.x; i < batch; i += blockDim.x) {
        const float* z = logits + (long long) i * classes;
        float m, lse = row_log_sum_exp(z, classes, &m);
        float w = (class_weights != nullptr ? class_weights[labels[i]] : 1.0f) / wsum;
        for (int j = 0; j < classes; j++) {
            float p = expf(z[j] - m - lse);
            dlogits[(long long) i * classes + j] += g * w * (p - (j == labels[i] ? 1.0f : 0.0f));
        }
    }
}

// One sample's GRPO objective and its derivative with respect to logp = log pi(action):
//   ratio = exp(logp - logp_old), obj = min(ratio A, clip(ratio, 1-eps, 1+eps) A) - beta kl,
//   kl = exp(logp_ref - logp) - (logp_ref - logp) - 1.
// The clipped branch carries no gradient where it is the smaller (its ratio is outside the clip range).
__device__ __forceinline__ float grpo_objective(float logp, float logp_old, float logp_ref, float adv, float eps,
                                                float beta, float* dobj) {
    float ratio = expf(logp - logp_old);
    float clipped = fminf(fmaxf(ratio, 1.0f - eps), 1.0f + eps);
    float s1 = ratio * adv, s2 = clipped * adv;
    float e = expf(logp_ref - logp);
    float kl = e - (logp_ref - logp) - 1.0f;
    *dobj = (s1 <= s2 ? s1 : 0.0f) - beta * (1.0f - e);
    return fminf(s1, s2) - beta * kl;
}

// actions, logp_old, logp_ref, adv: [B * G], sample g of utterance b at b * G + g.
// loss = -mean over the B * G samples of obj.
extern "C" __global__ void grpo_loss_forward(const float* __restrict__ logits, const int* __restrict__ actions,
                                             const float* __restrict__ logp_old, const float* __restrict__ logp_ref,
                                             const float* __restrict__ adv, float* loss, int batch, int group,
                                             int classes, float eps, float beta) {
    float total = 0.0f;
    for (int b = threadIdx.x; b < batch; b += blockDim.x) {
        const float* z = logits + (long long) b * classes;
        float m, lse = row_log_sum_exp(z, classes, &m);
        for (int g = 0; g < group; g++) {
            int s = b * group + g;
            float d;
            total += grpo_objective(z[actions[s]] - m - lse, logp_old[s], logp_ref[s], adv[s], eps, beta, &d);
        }
    }
    total = block_sum(total);
    if (threadIdx.x == 0) loss[0] = -total / (float) (batch * group);
}

// dlogits[b, j] += dloss * -1/(B G) * sum_g dobj_g * (onehot(action_g)_j - p_j).
extern "C" __global__ void grpo_loss_backward(const float* __restrict__ logits, const int* __restrict__ actions,
                                              const float* __restrict__ logp_old, const float* __restrict__ logp_ref,
                                              const float* __restrict__ adv, const float* __restrict__ dloss,
                                              float* dlogits, int batch, int group, int classes, float eps,
                                              float beta) {
    float scale = -dloss[0] / (float) (batch * group);
    for (int b = threadIdx.x; b < batch; b += blockDim.x) {
        const float* z = logits + (long long) b * classes;
        float m, lse = row_log_sum_exp(z, classes, &m);
        float sum_d = 0.0f;
        for (int g = 0; g < group; g++) {
            int s = b * group + g;
            float d;
            grpo_objective(z[actions[s]] - m - lse, logp_old[s], logp_ref[s], adv[s], eps, beta, &d);
            sum_d += d;
            dlogits[(long long) b * classes + actions[s]] += scale * d;
        }
        for (int j = 0; j < classes; j++) {
            dlogits[(long long) b * classes + j] -= scale * sum_d * expf(z[j] - m - lse);
        }
    }
}
