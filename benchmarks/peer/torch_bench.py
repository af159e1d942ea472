#!/usr/bin/env python3
"""PyTorch CPU peer: times the reference model's forward on the fixed input and prints one
sdd4j-bench/1 JSON record (benchmarks/README.md).

  python3 benchmarks/peer/torch_bench.py --model aasist --batch 1 --threads 2 --iters 20
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
    p.add_argument("--save-logits", default=None, help="also save the (batch, 2) logits as .npy here")
    args = p.parse_args()
    common.resolve_paths(args)
    common.configure_threads(args.threads)

    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    import peers

    x_np = common.benchmark_input(args.wav, args.batch)
    rss_before = common.proc_status_bytes("VmRSS")
    t0 = time.perf_counter()
    model = peers.load_peer(args)
    load_ms = (time.perf_counter() - t0) * 1000.0
    x = torch.from_numpy(x_np)

    times = []
    with torch.inference_mode():
        for i in range(args.warmup + args.iters):
            t0 = time.perf_counter()
            logits = model(x)
            dt = (time.perf_counter() - t0) * 1000.0
            if i >= args.warmup:
                times.append(dt)
    logits = logits.float().numpy()
    if args.save_logits:
        np.save(args.save_logits, logits)

    extra = {"torch_threads": torch.get_num_threads(),
             "torch_config": {"mkldnn": torch.backends.mkldnn.is_available(),
                              "mkl": torch.backends.mkl.is_available()}}
    if args.model == "ssl-aasist-300m":
        extra["attn_implementation"] = model.model.ssl_model.model.config._attn_implementation
    common.emit(common.make_record(
        impl="torch", impl_version=torch.__version__, args=args, x=x_np, times_ms=times, load_ms=load_ms,
        rss_before_load=rss_before, weights_bytes=peers.state_bytes(model),
        model_file_bytes=common.file_bytes(peers.model_file_path(args)), logits=logits, extra=extra),
        args.jsonl)


if __name__ == "__main__":
    main()
