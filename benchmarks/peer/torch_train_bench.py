#!/usr/bin/env python3
"""PyTorch peer (CPU or GPU; eager or torch.compile; fp32, TF32 or bf16 autocast) for training speed: times
one supervised fine-tuning (SFT) step of the reference model and prints one sdd4j-bench/1 JSON record
(benchmarks/README.md) with "task": "sft-step".

A step is what the reference train loops do per batch (AASIST main.py train_epoch, SSL-AASIST
main_SSL_LA.py train_epoch): zero_grad, forward in train mode (dropout active as in the reference
code, BatchNorm on batch statistics), CrossEntropyLoss(weight=[0.1, 0.9]), backward, Adam step.
  aasist-l          Adam lr 1e-4, betas (0.9, 0.999), weight decay 1e-4 (AASIST-L.conf)
  ssl-aasist-mini   Adam lr 1e-6, weight decay 1e-4 (main_SSL_LA.py); encoder = the mini fixture
  ssl-aasist-300m   the same at XLS-R 300M size (the checkpoint of make_ssl_aasist_300m.py)
The input is the benchmark input of benchmarks/README.md (espeak_1.wav crops); labels are
i mod 2 for item i (half bona fide). The transformers encoder that stands in for fairseq's runs
without dropout / layer drop (peers.hf_wav2vec2_config); the AASIST back end's dropouts run as
published. The Adam state is created by the first step, so use --warmup >= 1.

  python3 benchmarks/peer/torch_train_bench.py --model aasist-l --threads 2 --warmup 1 --iters 2
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (no torch import inside)

MODELS = ("aasist-l", "ssl-aasist-mini", "ssl-aasist-300m")
CLASS_WEIGHTS = [0.1, 0.9]
OPTIMIZER = {  # the reference recipes (DESIGN.md 4)
    "aasist-l": {"optimizer": "Adam", "lr": 1e-4, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 1e-4},
    "ssl-aasist-mini": {"optimizer": "Adam", "lr": 1e-6, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 1e-4},
    "ssl-aasist-300m": {"optimizer": "Adam", "lr": 1e-6, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 1e-4},
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=MODELS, required=True)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--iters", type=int, default=2)
    p.add_argument("--shared", default=common.DEFAULT_SHARED,
                   help="the shared folder (models/, fixtures/); default $SDD4J_SHARED or ../shared")
    p.add_argument("--wav", default=None, help="input clip; default <shared>/fixtures/audio/espeak_1.wav")
    p.add_argument("--aasist-repo", default="/work/peers/aasist",
                   help="checkout of github.com/clovaai/aasist (models/AASIST.py is imported from it)")
    p.add_argument("--aasist-weights", default=None, help="default <shared>/models/aasist/AASIST-L.pth")
    p.add_argument("--aasist-conf", default=None, help="default <shared>/models/aasist/AASIST-L.conf")
    p.add_argument("--ssl-repo", default="/work/peers/ssl_antispoofing",
                   help="checkout of github.com/TakHemlata/SSL_Anti-spoofing (model.py is imported from it)")
    p.add_argument("--ssl-checkpoint", default=None,
                   help="ssl-aasist-300m: the checkpoint of make_ssl_aasist_300m.py (default "
                        "benchmarks/out/ssl_aasist_300m.pth); ssl-aasist-mini: default "
                        "<shared>/fixtures/reference/ssl_aasist_mini.pth")
    common.add_step_device_args(p)
    p.add_argument("--jsonl", default=None, help="append the result record to this file (also printed)")
    args = p.parse_args()
    if args.wav is None:
        args.wav = os.path.join(args.shared, "fixtures", "audio", "espeak_1.wav")
    models = os.path.join(args.shared, "models", "aasist")
    args.aasist_weights = args.aasist_weights or os.path.join(models, "AASIST-L.pth")
    args.aasist_conf = args.aasist_conf or os.path.join(models, "AASIST-L.conf")
    if args.ssl_checkpoint is None:
        args.ssl_checkpoint = (os.path.join(args.shared, "fixtures", "reference", "ssl_aasist_mini.pth")
                               if args.model == "ssl-aasist-mini" else common.DEFAULT_SSL_CHECKPOINT)
    if args.batch < 1 or args.iters < 1 or args.warmup < 0 or args.threads < 1:
        sys.exit("batch, iters and threads must be >= 1, warmup >= 0")
    return args


def load_model(args):
    import peers
    if args.model == "aasist-l":
        return peers.load_aasist(args.aasist_repo, args.aasist_conf, args.aasist_weights), args.aasist_weights
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
    import torch.nn as nn
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
        p.requires_grad_(True)  # the reference loops hand every parameter to Adam
    hp = OPTIMIZER[args.model]
    optimizer = torch.optim.Adam(model.parameters(), lr=hp["lr"], betas=tuple(hp["betas"]), eps=hp["eps"],
                                 weight_decay=hp["weight_decay"])
    criterion = nn.CrossEntropyLoss(weight=torch.tensor(CLASS_WEIGHTS, device=device))
    x = torch.from_numpy(x_np).to(device)
    y = torch.from_numpy(labels_np).to(device)
    policy = common.step_mode(torch, args, model)

    times, losses = [], []
    for i in range(args.warmup + args.iters):
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        with common.step_autocast(torch, args, device):
            logits = policy(x).float()
        loss = criterion(logits, y)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        dt = (time.perf_counter() - t0) * 1000.0
        losses.append(float(loss.item()))
        if i >= args.warmup:
            times.append(dt)
        print(f"step {i + 1}/{args.warmup + args.iters}: {dt:.1f} ms, loss {losses[-1]:.6f}", file=sys.stderr, flush=True)

    extra = {"task": "sft-step",
             "optimizer": {**hp, "amsgrad": False},
             "loss": {"kind": "CrossEntropyLoss", "class_weights": CLASS_WEIGHTS},
             "labels": labels_np.tolist(),
             "losses": losses,
             "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
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
