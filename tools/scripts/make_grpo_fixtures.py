#!/usr/bin/env python3
"""Reference numbers for sdd4j's GRPO objective (DESIGN.md section 4), computed by torch autograd in float64.

Writes engine/src/test/resources/fixtures/grpo/grpo.json: fixed policy, old and reference logits ([B, 2],
float32-representable values), fixed sampled labels ([B, G]) and true labels ([B]); then
  - "advantages": for each reward mode (binary 1/0, signed +1/-1) and advantage scope (batch over all B x G,
    group within each utterance), the rewards and A = (r - mean) / (std + 1e-5) with torch's unbiased std;
  - "cases": for each variant (grpo, grpo_s, reinforce) x reward mode x advantage scope x beta (0.04, 0),
    the loss and d loss / d policy logits ([B, 2]), plus the mean k3 KL and the clip fraction.
The old logits differ from the policy's enough that some ratios leave [1 - eps, 1 + eps] (eps 0.2) on both
sides, so the clipped branch is exercised.

    grpo:      ratio = exp(logp - logp_old); loss = -mean(min(ratio A, clamp(ratio, 1-eps, 1+eps) A) - beta kl)
    grpo_s:    ratio = exp(logp - logp.detach()) (1 in value, gradient of logp), no clip
    reinforce: loss = -mean(r logp - beta kl), no baseline
    kl (k3):   exp(l_ref - logp) - (l_ref - logp) - 1

Usage: python3 tools/scripts/make_grpo_fixtures.py
"""
import json
import os

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "engine", "src", "test", "resources", "fixtures", "grpo")
B, G, EPS_CLIP, STD_EPS = 4, 6, 0.2, 1e-5


def f32(a):
    """Values a Java float holds exactly, so Java and torch start from the same numbers."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def advantages(r, scope):
    if scope == "batch":
        return (r - r.mean()) / (r.std() + STD_EPS)  # torch.std is unbiased by default
    g = r.view(B, G)
    return ((g - g.mean(1, keepdim=True)) / (g.std(1, keepdim=True) + STD_EPS)).reshape(-1)


def loss_of(variant, z, old, ref, sampled, r, a, beta):
    logp = torch.log_softmax(z, 1).gather(1, sampled).reshape(-1)
    if variant == "grpo":
        lold = torch.log_softmax(old, 1).gather(1, sampled).reshape(-1)
        ratio = torch.exp(logp - lold)
        term = torch.min(ratio * a, torch.clamp(ratio, 1 - EPS_CLIP, 1 + EPS_CLIP) * a)
        clip_frac = ((ratio < 1 - EPS_CLIP) | (ratio > 1 + EPS_CLIP)).double().mean().item()
    elif variant == "grpo_s":
        term = torch.exp(logp - logp.detach()) * a
        clip_frac = 0.0
    else:
        term = r * logp
        clip_frac = 0.0
    lref = torch.log_softmax(ref, 1).gather(1, sampled).reshape(-1)
    d = lref - logp
    kl = torch.exp(d) - d - 1
    obj = term - beta * kl if beta > 0 else term
    return -obj.mean(), (kl.mean().item() if beta > 0 else 0.0), clip_frac


def main():
    rng = np.random.default_rng(20260302)
    policy = f32(rng.normal(0, 1.5, (B, 2)))
    old = f32(policy + rng.normal(0, 0.6, (B, 2)))
    ref = f32(policy + rng.normal(0, 0.8, (B, 2)))
    sampled = rng.integers(0, 2, (B, G))
    labels = np.array([1, 0, 1, 0])
    s = torch.tensor(sampled)
    adv_out, cases = [], []
    for reward in ("binary", "signed"):
        correct = torch.tensor(sampled == labels[:, None]).reshape(-1)
        r = torch.where(correct, 1.0, 0.0 if reward == "binary" else -1.0).double()
        for scope in ("batch", "group"):
            a = advantages(r, scope)
            adv_out.append({"reward": reward, "advantage": scope, "rewards": r.tolist(), "advantages": a.tolist()})
            for variant in ("grpo", "grpo_s", "reinforce"):
                for beta in (0.04, 0.0):
                    z = torch.tensor(policy, requires_grad=True)
                    loss, kl, clip = loss_of(variant, z, torch.tensor(old), torch.tensor(ref), s, r, a, beta)
                    loss.backward()
                    cases.append({"variant": variant, "reward": reward, "advantage": scope, "beta": beta,
                                  "clip_eps": EPS_CLIP, "loss": loss.item(), "grad": z.grad.reshape(-1).tolist(),
                                  "kl_mean": kl, "clip_fraction": clip})
    ratio = np.exp(np.log(np.exp(policy) / np.exp(policy).sum(1, keepdims=True))
                   - np.log(np.exp(old) / np.exp(old).sum(1, keepdims=True)))
    assert (ratio < 1 - EPS_CLIP).any() and (ratio > 1 + EPS_CLIP).any(), "fixture must clip on both sides"
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "grpo.json"), "w") as f:
        json.dump({"batch": B, "group_size": G, "classes": 2, "policy": policy.reshape(-1).tolist(),
                   "old": old.reshape(-1).tolist(), "reference": ref.reshape(-1).tolist(),
                   "sampled": sampled.reshape(-1).tolist(), "labels": labels.tolist(),
                   "advantages": adv_out, "cases": cases}, f, indent=1)


if __name__ == "__main__":
    main()
