#!/usr/bin/env python3
"""Checks the SSL-AASIST PyTorch peer (HF Wav2Vec2Model behind fairseq's call convention + the
published back end, loaded through the fairseq -> HF name mapping) against the shared reference:
it loads shared/fixtures/reference/ssl_aasist_mini.pth with the config beside it and compares the
logits with expected_logits.json and the encoder output with the saved SSL features. If this
passes, the 300M peer is the same computation at a larger size.

  python3 benchmarks/peer/check_ssl_peer.py --shared /work/shared
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

TOLERANCE = 2e-4  # DESIGN.md 6: parity target for float32 logits


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ssl-repo", default="/work/peers/ssl_antispoofing")
    p.add_argument("--shared", default=common.DEFAULT_SHARED)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    common.configure_threads(args.threads)

    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    import peers

    ref = os.path.join(args.shared, "fixtures", "reference")
    with open(os.path.join(ref, "ssl_aasist_mini.json")) as f:
        config = json.load(f)["ssl"]
    with open(os.path.join(ref, "expected_logits.json")) as f:
        expected = json.load(f)["ssl_aasist_mini.pth"]
    model = peers.load_ssl_aasist(args.ssl_repo, os.path.join(ref, "ssl_aasist_mini.pth"), config)

    worst = 0.0
    for wav, want in sorted(expected.items()):
        x = torch.from_numpy(common.benchmark_input(os.path.join(args.shared, "fixtures", "audio", wav), 1))
        with torch.inference_mode():
            got = model(x)[0].numpy()
        diff = float(np.max(np.abs(got - np.asarray(want))))
        worst = max(worst, diff)
        print(f"{wav:28s} got {got.tolist()} want {want} max|diff| {diff:.2e}")

    features_path = os.path.join(ref, "ssl_aasist_mini.espeak_1.ssl_features.npy")
    if os.path.exists(features_path):
        want = np.load(features_path)
        x = torch.from_numpy(common.benchmark_input(os.path.join(args.shared, "fixtures", "audio", "espeak_1.wav"), 1))
        with torch.inference_mode():
            got = model.model.ssl_model.extract_feat(x).numpy()
        diff = float(np.max(np.abs(got.reshape(want.shape) - want)))
        print(f"encoder output espeak_1 {got.shape} max|diff| {diff:.2e}")
        worst = max(worst, diff)
    if not worst <= TOLERANCE:
        sys.exit(f"FAIL: max |diff| {worst:.3g} > {TOLERANCE}")
    print(f"OK: max |diff| {worst:.2e} <= {TOLERANCE}")


if __name__ == "__main__":
    main()
