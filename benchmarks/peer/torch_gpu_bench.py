#!/usr/bin/env python3
"""PyTorch GPU peer: times the reference model's forward on the GPU, eager or torch.compile'd, in
float32, TF32 or bfloat16 autocast, and prints one sdd4j-bench/1 record (benchmarks/README.md) with
device "cuda" and impl "torch-<mode>-<precision>". Each timed pass is what sdd4j's GPU pass is: the
host input copied to the GPU, the forward, the logits copied back (so the clock sees the whole wait).

  python3 benchmarks/peer/torch_gpu_bench.py --model ssl-aasist-300m --batch 1 --mode compile --precision tf32
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (no torch import inside)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(p)
    p.add_argument("--mode", choices=("eager", "compile"), default="eager")
    p.add_argument("--precision", choices=("fp32", "tf32", "bf16"), default="fp32",
                   help="fp32: TF32 off everywhere; tf32: TF32 matmuls and convolutions; bf16: autocast bfloat16")
    args = p.parse_args()
    common.resolve_paths(args)

    import numpy as np
    import torch
    if not torch.cuda.is_available():
        sys.exit("torch_gpu_bench.py: torch sees no CUDA device")
    tf32 = args.precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True
    import peers

    x_np = common.benchmark_input(args.wav, args.batch)
    rss_before = common.proc_status_bytes("VmRSS")
    t0 = time.perf_counter()
    model = peers.load_peer(args).cuda().eval()
    if args.mode == "compile":
        model = torch.compile(model)
    load_ms = (time.perf_counter() - t0) * 1000.0
    x_host = torch.from_numpy(x_np).pin_memory()

    def forward():
        x = x_host.to("cuda", non_blocking=True)
        if args.precision == "bf16":
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                out = model(x)
        else:
            out = model(x)
        return out.float().cpu()  # waits for the stream

    times = []
    with torch.inference_mode():
        for i in range(args.warmup + args.iters):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            logits = forward()
            dt = (time.perf_counter() - t0) * 1000.0
            if i >= args.warmup:
                times.append(dt)
    logits = logits.numpy()
    s = sorted(times)
    extra = {"device": "cuda", "gpu": torch.cuda.get_device_name(0), "mode": args.mode, "precision": args.precision,
             "p99_ms": round(s[max(1, -(-99 * len(s) // 100)) - 1], 4),
             "gpu_peak_bytes": torch.cuda.max_memory_allocated()}
    rec = common.make_record(
        impl=f"torch-{args.mode}-{args.precision}", impl_version=torch.__version__, args=args, x=x_np, times_ms=times,
        load_ms=load_ms, rss_before_load=rss_before, weights_bytes=peers.state_bytes(model),
        model_file_bytes=common.file_bytes(peers.model_file_path(args)), logits=logits, extra=extra)
    common.emit(rec, args.jsonl)


if __name__ == "__main__":
    main()
