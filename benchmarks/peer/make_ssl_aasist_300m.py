#!/usr/bin/env python3
"""Creates the random SSL-AASIST model at XLS-R 300M size used by the side-by-side benchmarks and
writes it in the SSL-AASIST checkpoint format sdd4j loads (the format of
shared/fixtures/reference/ssl_aasist_mini.pth: a flat state dict, `ssl_model.model.<fairseq
wav2vec2 name>` + the back end's names). About 1.27 GB: it goes to benchmarks/out/ (git-ignored).

Beside the checkpoint it writes
  <stem>.json               the encoder config, in the format of ssl_aasist_mini.json
  <stem>.logits_b1.npy      (1, 2) float32 logits of the PyTorch peer on the benchmark input
  bench_input_b<B>.npy      the benchmark input itself, (B, 64600) float32 (B = 1 and --batch)
  <stem>.logits_b<B>.npy    when --batch B > 1 is given, the logits for that input too

The logits come from reloading the written file into a fresh model, so they are the logits of
exactly what the benchmarks (and sdd4j) load.

  python3 benchmarks/peer/make_ssl_aasist_300m.py --ssl-repo /work/peers/ssl_antispoofing
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ssl-repo", default="/work/peers/ssl_antispoofing")
    p.add_argument("--out", default=common.DEFAULT_SSL_CHECKPOINT)
    p.add_argument("--seed", type=int, default=20260301)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--shared", default=common.DEFAULT_SHARED)
    p.add_argument("--wav", default=None)
    p.add_argument("--batch", type=int, default=1, help="also save input and logits for this batch size")
    args = p.parse_args()
    if args.wav is None:
        args.wav = os.path.join(args.shared, "fixtures", "audio", "espeak_1.wav")
    common.configure_threads(args.threads)

    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    import peers

    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.splitext(args.out)[0]

    t0 = time.perf_counter()
    torch.manual_seed(args.seed)
    model = peers.build_ssl_aasist(args.ssl_repo)
    state = peers.to_checkpoint_state(model)
    n_params = sum(p.numel() for p in model.parameters())
    del model
    torch.save(state, args.out)
    del state
    print(f"wrote {args.out}: {os.path.getsize(args.out) / 1e6:.1f} MB, {n_params:,} parameters "
          f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)

    config = {"ssl": peers.XLSR_300M, "input_samples": common.NB_SAMP, "input_norm": "none",
              "score": "logit[1] (bona fide)", "seed": args.seed,
              "made_by": "benchmarks/peer/make_ssl_aasist_300m.py (random weights)"}
    with open(stem + ".json", "w") as f:
        json.dump(config, f, indent=1)

    reloaded = peers.load_ssl_aasist(args.ssl_repo, args.out)
    for batch in sorted({1, args.batch}):
        x = common.benchmark_input(args.wav, batch)
        np.save(os.path.join(out_dir, f"bench_input_b{batch}.npy"), x)
        t0 = time.perf_counter()
        with torch.inference_mode():
            logits = reloaded(torch.from_numpy(x)).numpy().astype(np.float32)
        np.save(f"{stem}.logits_b{batch}.npy", logits)
        print(f"batch {batch}: logits {logits.tolist()} ({time.perf_counter() - t0:.1f} s), "
              f"input sha256 {common.input_sha256(x)}", file=sys.stderr)


if __name__ == "__main__":
    main()
