#!/usr/bin/env python3
"""PyTorch peer (CPU or GPU; eager or torch.compile; fp32, TF32 or bf16 autocast) for GRPO fine-tuning speed:
times one GRPO step written from DESIGN.md section 4 (the reference's "grpo3") and prints one sdd4j-bench/1
JSON record with "task": "grpo-step", beside sdd4j's org.sdd4j.bench.GrpoStepBenchmark (same model, input,
labels, G, optimiser and thread count).

A step: the old policy (a frozen deep copy, refreshed every K steps; K = 1000 so the timed steps compare against
the copy made before the first one) and the reference policy (a frozen copy of the starting weights) score the
batch under torch.no_grad() in train mode with the same dropout stream as the policy pass (torch.manual_seed
before each pass); then the policy pass, G labels per utterance sampled from softmax(logits)
(torch.multinomial, with replacement), reward 1 for the true label, advantages (r - mean) / (std + 1e-5) over
all B x G samples, ratio = exp(logp - logp_old) clipped to [0.8, 1.2], k3 KL with beta 0.04,
loss = -mean(min(ratio A, clip(ratio) A) - beta kl), backward, clip_grad_norm_(100), AdamW(lr 1e-6, weight decay
0.01, eps 1e-6). Every parameter trains (as torch_train_bench.py). Use --warmup >= 1 (AdamW creates its state then).

The timed span is one whole step, as sdd4j's GrpoStep.run: the two frozen passes, zero_grad, the policy pass,
sampling, loss, backward, clipping and the AdamW update (the input tensor is built before the loop on both sides).

  python3 benchmarks/peer/torch_grpo_bench.py --model ssl-aasist-mini --batch 8 --group 64 --threads 2
  python3 benchmarks/peer/torch_grpo_bench.py --model ssl-aasist-300m --ssl-checkpoint benchmarks/out/ssl_aasist_300m.pth
"""
import argparse
import copy
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (no torch import inside)

OPTIMIZER = {"optimizer": "AdamW", "lr": 1e-6, "betas": [0.9, 0.999], "eps": 1e-6, "weight_decay": 0.01}
CLIP_EPS, BETA, CLIP_NORM, STD_EPS, DROPOUT_SEED = 0.2, 0.04, 100.0, 1e-5, 20260301


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=("ssl-aasist-mini", "ssl-aasist-300m", "aasist-l"), required=True)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--group", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--shared", default=common.DEFAULT_SHARED)
    p.add_argument("--wav", default=None)
    p.add_argument("--aasist-repo", default="/work/peers/aasist")
    p.add_argument("--ssl-repo", default="/work/peers/ssl_antispoofing")
    p.add_argument("--ssl-checkpoint", default=None,
                   help="ssl-aasist-300m: the checkpoint of make_ssl_aasist_300m.py (default "
                        "benchmarks/out/ssl_aasist_300m.pth); ssl-aasist-mini: default "
                        "<shared>/fixtures/reference/ssl_aasist_mini.pth")
    common.add_step_device_args(p)
    p.add_argument("--jsonl", default=None)
    args = p.parse_args()
    args.wav = args.wav or os.path.join(args.shared, "fixtures", "audio", "espeak_1.wav")
    if args.ssl_checkpoint is None:
        args.ssl_checkpoint = (os.path.join(args.shared, "fixtures", "reference", "ssl_aasist_mini.pth")
                               if args.model == "ssl-aasist-mini" else common.DEFAULT_SSL_CHECKPOINT)
    if args.batch < 1 or args.group < 1 or args.iters < 1 or args.warmup < 1 or args.threads < 1:
        sys.exit("batch, group, iters, warmup and threads must be >= 1 (AdamW creates its state in the warm-up)")
    return args


def load_model(args):
    import peers
    if args.model == "aasist-l":
        models = os.path.join(args.shared, "models", "aasist")
        path = os.path.join(models, "AASIST-L.pth")
        return peers.load_aasist(args.aasist_repo, os.path.join(models, "AASIST-L.conf"), path), path
    config = peers.XLSR_300M
    if args.model == "ssl-aasist-mini":
        with open(os.path.join(os.path.dirname(args.ssl_checkpoint), "ssl_aasist_mini.json")) as f:
            config = json.load(f)["ssl"]
    return peers.load_ssl_aasist(args.ssl_repo, args.ssl_checkpoint, config), args.ssl_checkpoint


def main():
    args = parse_args()
    common.configure_threads(args.threads)
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    import peers
    device = common.setup_torch_device(torch, args)

    x_np = common.benchmark_input(args.wav, args.batch)
    labels_np = np.arange(args.batch, dtype=np.int64) % 2
    rss_before = common.proc_status_bytes("VmRSS")
    t0 = time.perf_counter()
    model, model_path = load_model(args)
    load_ms = (time.perf_counter() - t0) * 1000.0
    model.to(device).train()
    for p in model.parameters():
        p.requires_grad_(True)
    reference = copy.deepcopy(model)
    old = copy.deepcopy(model)
    for frozen in (reference, old):
        frozen.train()
        for p in frozen.parameters():
            p.requires_grad_(False)
    hp = OPTIMIZER
    optimizer = torch.optim.AdamW(model.parameters(), lr=hp["lr"], betas=tuple(hp["betas"]), eps=hp["eps"],
                                  weight_decay=hp["weight_decay"])
    x = torch.from_numpy(x_np).to(device)
    y = torch.from_numpy(labels_np).to(device)
    gen = torch.Generator(device=device).manual_seed(11)
    policy, run_old, run_reference = (common.step_mode(torch, args, m) for m in (model, old, reference))

    def forward(net):
        with common.step_autocast(torch, args, device):
            return net(x).float()

    times, cpu_times, losses = [], [], []
    for i in range(args.warmup + args.iters):
        t0, c0 = time.perf_counter(), time.process_time()
        with torch.no_grad():
            torch.manual_seed(DROPOUT_SEED + i)
            logp_old_all = torch.log_softmax(forward(run_old), 1)
            torch.manual_seed(DROPOUT_SEED + i)
            logp_ref_all = torch.log_softmax(forward(run_reference), 1)
        optimizer.zero_grad(set_to_none=True)
        torch.manual_seed(DROPOUT_SEED + i)
        logits = forward(policy)
        logp_all = torch.log_softmax(logits, 1)
        sampled = torch.multinomial(logp_all.detach().exp(), args.group, replacement=True, generator=gen)
        r = (sampled == y[:, None]).double().reshape(-1)
        a = ((r - r.mean()) / (r.std() + STD_EPS)).float()
        logp = logp_all.gather(1, sampled).reshape(-1)
        ratio = torch.exp(logp - logp_old_all.gather(1, sampled).reshape(-1))
        d = logp_ref_all.gather(1, sampled).reshape(-1) - logp
        kl = torch.exp(d) - d - 1
        loss = -(torch.min(ratio * a, torch.clamp(ratio, 1 - CLIP_EPS, 1 + CLIP_EPS) * a) - BETA * kl).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        dt, dc = (time.perf_counter() - t0) * 1000.0, (time.process_time() - c0) * 1000.0
        losses.append(float(loss.item()))
        if i >= args.warmup:
            times.append(dt)
            cpu_times.append(dc)  # process CPU time, all threads: steadier than wall time on a shared machine
        print(f"step {i + 1}/{args.warmup + args.iters}: {dt:.1f} ms (cpu {dc:.1f} ms), loss {losses[-1]:.6f}",
              file=sys.stderr, flush=True)

    extra = {"task": "grpo-step", "group_size": args.group, "clip_eps": CLIP_EPS, "kl_weight": BETA,
             "clip_norm": CLIP_NORM, "optimizer": {**hp, "amsgrad": False}, "labels": labels_np.tolist(),
             "cpu_times_ms": cpu_times, "cpu_median_ms": common.median(cpu_times),
             "losses": losses, "trainable_params": sum(p.numel() for p in model.parameters()),
             "torch_threads": torch.get_num_threads(),
             "torch_config": {"mkldnn": torch.backends.mkldnn.is_available(),
                              "mkl": torch.backends.mkl.is_available()}}
    if args.model != "aasist-l":
        extra["attn_implementation"] = model.model.ssl_model.model.config._attn_implementation
    extra.update(common.torch_device_fields(torch, args))
    common.emit(common.make_record(
        impl=common.step_impl(args), impl_version=torch.__version__, args=args, x=x_np, times_ms=times,
        load_ms=load_ms,
        rss_before_load=rss_before, weights_bytes=peers.state_bytes(model),
        model_file_bytes=common.file_bytes(model_path), logits=logits.detach().cpu().numpy(), extra=extra),
        args.jsonl)


if __name__ == "__main__":
    main()
