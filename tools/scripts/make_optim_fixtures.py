#!/usr/bin/env python3
"""Reference numbers for sdd4j's optimisers, gradient clipping and learning-rate schedules, computed
by torch itself (one optimiser step of Adam / AdamW must match torch.optim to 1e-6 relative).

Writes engine/src/test/resources/fixtures/optim/:
  adam_adamw.json   the same float32 parameter tensors (SHAPES, 673 elements, N(0, 0.05^2)) and
                    the same per-step gradients (3 steps, a different N(0, 1) gradient each step,
                    except tensor "tiny", whose gradients are N(0, 1e-7^2) so that eps decides its
                    update) for every hyper-parameter set of CASES; for each set, after steps 1, 2
                    and 3: the parameters and torch's exp_avg / exp_avg_sq state, all float32 as
                    torch computes them (CPU, the default single-tensor implementation).
                    Note: with lr 1e-6 an update is ~20 float32 ulps of a 0.05 weight; the cases with
                    lr >= 1e-4 are the ones that pin the update itself.
  clip.json         torch.nn.utils.clip_grad_norm_ (L2 over all tensors together) for max_norm 100
                    and 0.5 on the step-1 gradients at two scales (total norm 25.5 and 2551.5):
                    the returned total norm and the clipped gradients.
  schedules.json    learning rates step by step:
                    - "aasist_cosine": AASIST's scheduler (utils._get_scheduler, scheduler "cosine"),
                      run as AASIST runs it: LambdaLR with utils.cosine_annealing imported from the
                      AASIST checkout, lr(step) = base * (lr_min/base + (1 - lr_min/base)
                      * 0.5 * (1 + cos(pi * step / total_steps))), step = scheduler.step() calls so
                      far, total_steps = epochs * steps_per_epoch; short run in full and the
                      AASIST-L run (100 epochs x 1058 steps: 25,380 ASVspoof 2019 LA training
                      utterances in batches of 24) at sampled steps.
                    - "warmup_exp": lr(step) = base * step / warmup for step < warmup, then
                      base * gamma^(step - warmup) (also through LambdaLR).

Usage: python3 tools/scripts/make_optim_fixtures.py [--aasist-repo /work/peers/aasist]
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "peer"))
OUT_DIR = os.path.join(ROOT, "engine", "src", "test", "resources", "fixtures", "optim")

SEED = 20261121
SHAPES = {"w2d": [16, 24], "bias": [48], "w3d": [3, 5, 7], "w4d": [4, 2, 3, 4], "tiny": [40]}
STEPS = 3
# amsgrad is always False (AASIST's config; torch's default).
CASES = [
    {"name": "adam_aasist", "optimizer": "Adam", "lr": 1e-4, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 1e-4},
    {"name": "adam_ssl_aasist", "optimizer": "Adam", "lr": 1e-6, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 1e-4},
    {"name": "adam_eps6_wd0", "optimizer": "Adam", "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-6, "weight_decay": 0.0},
    {"name": "adam_big", "optimizer": "Adam", "lr": 1e-2, "betas": [0.8, 0.99], "eps": 1e-8, "weight_decay": 0.01},
    {"name": "adamw_grpo", "optimizer": "AdamW", "lr": 1e-6, "betas": [0.9, 0.999], "eps": 1e-6, "weight_decay": 0.01},
    {"name": "adamw_wd0", "optimizer": "AdamW", "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0},
    {"name": "adamw_big", "optimizer": "AdamW", "lr": 1e-2, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 1e-4},
]


def f32(v) -> float:
    """The shortest decimal that reads back as the same float32 (keeps the JSON small)."""
    v = np.float32(v)
    if not np.isfinite(v):
        raise ValueError(f"non-finite value {v}")
    return float(str(v))


def flat32(t: torch.Tensor) -> list:
    return [f32(v) for v in t.detach().reshape(-1).numpy()]


def make_tensors():
    g = torch.Generator().manual_seed(SEED)
    params = {n: (0.05 * torch.randn(s, generator=g)).float() for n, s in SHAPES.items()}
    grads = []
    for _ in range(STEPS):
        step = {n: torch.randn(s, generator=g).float() for n, s in SHAPES.items()}
        step["tiny"] = step["tiny"] * 1e-7
        grads.append(step)
    return params, grads


def optimizer_cases(params0, grads):
    out = []
    for case in CASES:
        params = {n: torch.nn.Parameter(t.clone()) for n, t in params0.items()}
        cls = getattr(torch.optim, case["optimizer"])
        opt = cls(list(params.values()), lr=case["lr"], betas=tuple(case["betas"]), eps=case["eps"],
                  weight_decay=case["weight_decay"], amsgrad=False)
        steps = []
        for k in range(STEPS):
            for n, p in params.items():
                p.grad = grads[k][n].clone()
            opt.step()
            steps.append({
                "step": k + 1,
                "params": {n: flat32(p) for n, p in params.items()},
                "exp_avg": {n: flat32(opt.state[p]["exp_avg"]) for n, p in params.items()},
                "exp_avg_sq": {n: flat32(opt.state[p]["exp_avg_sq"]) for n, p in params.items()},
            })
        out.append({**case, "amsgrad": False, "steps": steps})
    return out


def clip_cases(grads):
    import torch.nn.utils
    out = []
    for scale in (1.0, 100.0):
        for max_norm in (100.0, 0.5):
            ps = {n: torch.nn.Parameter(torch.zeros(s)) for n, s in SHAPES.items()}
            for n, p in ps.items():
                p.grad = grads[0][n].clone() * scale
            total = torch.nn.utils.clip_grad_norm_(list(ps.values()), max_norm)
            out.append({"grad_scale": scale, "max_norm": max_norm, "total_norm": float(total),
                        "clipped": bool(float(total) > max_norm),
                        "grads": {n: flat32(p.grad) for n, p in ps.items()}})
    return out


def lambda_lrs(base_lr, fn, steps):
    """Learning rates of a LambdaLR(fn) over `steps` scheduler steps, read as a train loop does:
    lrs[s] is the lr of the optimiser step taken after s scheduler.step() calls."""
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=fn)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def schedules(aasist_repo):
    import peers
    utils = peers._import_file("clovaai_aasist_utils", os.path.join(aasist_repo, "utils.py"))
    cosine = []
    for base_lr, lr_min, epochs, steps_per_epoch, sample in ((1e-4, 5e-6, 4, 10, None),
                                                              (1e-4, 5e-6, 100, 1058, 48)):
        total_steps = epochs * steps_per_epoch
        # utils._get_scheduler's "cosine" branch, verbatim in behaviour
        fn = lambda step, t=total_steps, r=lr_min / base_lr: utils.cosine_annealing(step, t, 1, r)  # noqa: E731
        lrs = lambda_lrs(base_lr, fn, total_steps + 1)
        if sample is None:
            steps = list(range(total_steps + 1))
        else:
            steps = sorted({round(k * total_steps / sample) for k in range(sample + 1)} | {1, 2, total_steps - 1})
        cosine.append({"base_lr": base_lr, "lr_min": lr_min, "epochs": epochs, "steps_per_epoch": steps_per_epoch,
                       "total_steps": total_steps, "steps": steps, "lr": [lrs[s] for s in steps]})
    warm = []
    for base_lr, warmup, gamma, n in ((1e-4, 10, 0.95, 40), (1e-6, 1, 0.999, 20), (3e-4, 25, 0.9, 60)):
        fn = lambda s, w=warmup, g=gamma: s / w if s < w else g ** (s - w)  # noqa: E731
        lrs = lambda_lrs(base_lr, fn, n)
        for s, lr in enumerate(lrs):  # the definition, independently of LambdaLR
            want = base_lr * (s / warmup if s < warmup else gamma ** (s - warmup))
            assert math.isclose(lr, want, rel_tol=1e-15, abs_tol=1e-300), (s, lr, want)
        warm.append({"base_lr": base_lr, "warmup": warmup, "gamma": gamma, "steps": list(range(n)), "lr": lrs})
    return {
        "aasist_cosine": {"definition": "lr = base_lr * (r + (1 - r) * 0.5 * (1 + cos(pi * step / total_steps))), "
                                        "r = lr_min / base_lr, step = scheduler steps taken (0-based); "
                                        "AASIST utils.cosine_annealing through LambdaLR",
                          "runs": cosine},
        "warmup_exp": {"definition": "lr = base_lr * step / warmup for step < warmup, else "
                                     "base_lr * gamma^(step - warmup); step = scheduler steps taken (0-based)",
                       "runs": warm},
    }


def write(name, doc):
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"{path}: {os.path.getsize(path)} bytes")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--aasist-repo", default="/work/peers/aasist")
    args = p.parse_args()
    torch.set_num_threads(1)

    params0, grads = make_tensors()
    header = {"generator": "tools/scripts/make_optim_fixtures.py", "torch_version": torch.__version__,
              "shapes": SHAPES, "layout": "every tensor flattened row-major, float32 values"}
    write("adam_adamw.json", {
        **header,
        "initial_params": {n: flat32(t) for n, t in params0.items()},
        "grads": [{n: flat32(t) for n, t in g.items()} for g in grads],
        "cases": optimizer_cases(params0, grads),
    })
    write("clip.json", {**header, "definition": "torch.nn.utils.clip_grad_norm_: total = L2 norm of all "
                        "gradients together (float32); every gradient *= min(1, max_norm / (total + 1e-6))",
                        "grads_before": "adam_adamw.json grads[0] times grad_scale",
                        "cases": clip_cases(grads)})
    write("schedules.json", {"generator": header["generator"], "torch_version": torch.__version__,
                             **schedules(args.aasist_repo)})


if __name__ == "__main__":
    main()
