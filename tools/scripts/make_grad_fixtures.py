#!/usr/bin/env python3
"""Reference gradients of whole models, computed by PyTorch on the original model code, for sdd4j's
training tests (parameter gradients within 1e-3 relative of PyTorch on the same weights and batch).

Models (loaded with the peer-benchmark helpers of benchmarks/peer/peers.py, which import the
original code from checkouts outside this repository):
  aasist-l          models/AASIST.py of github.com/clovaai/aasist, shared/models/aasist/AASIST-L.pth
                    with the model_config of AASIST-L.conf beside it.
  ssl-aasist-mini   model.py of github.com/TakHemlata/SSL_Anti-spoofing with transformers'
                    Wav2Vec2Model standing in for fairseq's (benchmarks/peer/check_ssl_peer.py proves
                    the stand-in on this checkpoint), shared/fixtures/reference/ssl_aasist_mini.pth.

One training step's forward and backward, with nothing random in it, run twice: in float32 (as
PyTorch trains) and in float64 on the same float32 weights, input and sinc filters. The float64 run
is the stored reference; the float32 run's distance from it is stored per tensor, since float32
PyTorch itself is up to a few 1e-3 off on some tensors (BatchNorm weights and the first
convolutions, whose gradients are sums over millions of terms):
  - model.train() with every nn.Dropout's p set to 0: BatchNorm normalises with the batch's
    statistics and updates its running statistics (momentum 0.1, unbiased variance), dropout is
    the identity. AASIST's forward runs with Freq_aug=False (its default).
  - the batch: BATCH below, each clip read as pcm / 32768 (16-bit PCM) and put through AASIST's
    data_utils.pad (keep the first 64,600 samples, or tile and cut); no rotation, no RawBoost.
    The fixture stores the clip names, the rule and the input's SHA-256 (little-endian float32,
    row-major), not the 1 MB input: the Java test rebuilds it and checks the digest.
  - labels [0, 0, 1, 1] (bona fide = 1), loss = CrossEntropyLoss(weight=[0.1, 0.9]) (weighted mean)
    of the logits; loss.backward().

Written to engine/src/test/resources/fixtures/grad/<model>/:
  grad.json    input rule + digest, labels, logits, loss; per parameter (checkpoint name, the name
               sdd4j loads): shape, gradient L2 norm / sum / max |g|, float32 PyTorch's error
               (torch_f32_rel_err, torch_f32_max_abs_err), and either the full gradient (numel < 2048, row-major) or SAMPLES values
               at fixed flat indices (stored with them; rule in `sample_indices`); parameters whose
               .grad is None (AASIST's discarded bn1, DESIGN.md 3.3); parameters whose gradient is
               zero in exact arithmetic (exact_zero: compare those absolutely); checkpoint tensors that are not model parameters; every BatchNorm's
               running_mean / running_var / num_batches_tracked after the forward (full).
  logits.npy   float32 (4, 2), the float32 run's;  labels.npy int64 (4,)

Usage:
  python3 tools/scripts/make_grad_fixtures.py [--shared /work/shared] [--aasist-repo ...] [--ssl-repo ...]
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "peer"))
import common  # noqa: E402  (benchmarks/peer/common.py: read_wav, aasist_pad; imports no torch)

OUT_DIR = os.path.join(ROOT, "engine", "src", "test", "resources", "fixtures", "grad")
# Two synthetic (spoof, label 0) and two real recordings (bona fide, label 1). The real clips are
# shorter than 64,600 samples, so the batch exercises pad's tiling as well as its cut.
BATCH = [("espeak_1.wav", 0), ("flite_1.wav", 0), ("real_Front_Center.wav", 1), ("real_Front_Left.wav", 1)]
CLASS_WEIGHTS = [0.1, 0.9]  # [spoof, bona fide], as AASIST's and SSL-AASIST's train loops
FULL_BELOW = 2048  # tensors with fewer elements are stored whole
SAMPLES = 256
# A float64 gradient norm below this is (rounding noise around) zero: a bias followed by a BatchNorm
# in batch-statistics mode (the normalisation removes any constant shift), a bias whose shift a
# softmax cancels (attention key bias, SSL-AASIST's attention-map bias), or, in AASIST-L's
# heterogeneous graph layers, attention weights behind a saturated tanh (|g| ~ 1e-42, denormal in
# float32). The real gradients here are > 5e-5; these are < 1e-12.
ZERO_L2 = 1e-9


def sample_indices(n: int) -> list:
    """SAMPLES flat indices spread over [0, n): index k*n//SAMPLES plus a k-dependent offset inside
    its stride, so the sample does not hit the same position of every row."""
    stride = n // SAMPLES
    return [k * n // SAMPLES + (k * 7919) % stride for k in range(SAMPLES)]


def f32(v) -> float:
    """The shortest decimal that reads back as the same float32 (keeps the JSON small)."""
    import numpy as np
    v = np.float32(v)
    if not np.isfinite(v):
        raise ValueError(f"non-finite value {v}")
    return float(str(v))


def build_batch(shared: str):
    import numpy as np
    audio = os.path.join(shared, "fixtures", "audio")
    x = np.stack([common.aasist_pad(common.read_wav(os.path.join(audio, wav))) for wav, _ in BATCH])
    x = np.ascontiguousarray(x.astype(np.float32))
    labels = np.array([label for _, label in BATCH], dtype=np.int64)
    return x, labels


def disable_dropout(model) -> int:
    import torch.nn as nn
    n = 0
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
            n += 1
    return n


def load_model(name: str, args):
    import peers
    if name == "aasist-l":
        model = peers.load_aasist(args.aasist_repo, os.path.join(args.shared, "models", "aasist", "AASIST-L.conf"),
                                  os.path.join(args.shared, "models", "aasist", "AASIST-L.pth"))
        return model, lambda n: n[len("model."):], None
    if name == "ssl-aasist-mini":
        ref = os.path.join(args.shared, "fixtures", "reference")
        with open(os.path.join(ref, "ssl_aasist_mini.json")) as f:
            config = json.load(f)["ssl"]
        path = os.path.join(ref, "ssl_aasist_mini.pth")
        model = peers.load_ssl_aasist(args.ssl_repo, path, config)

        def checkpoint_name(n):
            n = n[len("model."):]
            prefix = "ssl_model.model."
            return prefix + peers.hf_name_to_fairseq(n[len(prefix):]) if n.startswith(prefix) else n
        return model, checkpoint_name, path
    raise ValueError(name)


def forward_backward(name: str, args, dtype):
    """Loads the model, runs the step's forward and backward in `dtype`; returns (model,
    checkpoint_name, checkpoint_path, n_dropout, x, labels, logits, loss)."""
    import torch
    import torch.nn as nn

    torch.manual_seed(0)  # nothing below draws random numbers; this only guards against surprises
    model, checkpoint_name, checkpoint_path = load_model(name, args)
    model.to(dtype)
    if name == "aasist-l":
        # SincConv keeps its (float32) filters in a plain attribute that .to() does not convert;
        # promote the same values so the float64 run convolves with the very filters of the float32 one.
        model.model.conv_time.band_pass = model.model.conv_time.band_pass.to(dtype)
    model.train()
    n_dropout = disable_dropout(model)
    for p in model.parameters():
        p.requires_grad_(True)
        p.grad = None

    x_np, labels_np = build_batch(args.shared)
    logits = model(torch.from_numpy(x_np).to(dtype))
    criterion = nn.CrossEntropyLoss(weight=torch.tensor(CLASS_WEIGHTS, dtype=dtype))
    loss = criterion(logits, torch.from_numpy(labels_np))
    loss.backward()
    return model, checkpoint_name, checkpoint_path, n_dropout, x_np, labels_np, logits.detach(), loss.detach()


def make(name: str, args) -> None:
    import numpy as np
    import torch
    import torch.nn as nn

    # float32 is what PyTorch (and sdd4j) train in; float64 on the same float32 weights, input and
    # filters is the exact-arithmetic reference the fixture stores. The float32 run's distance from
    # it is stored per tensor: it is the accuracy PyTorch itself reaches, the floor for sdd4j's.
    m32, _, _, _, _, _, logits32, loss32 = forward_backward(name, args, torch.float32)
    grads32 = {n: p.grad.detach().double().numpy().reshape(-1) for n, p in m32.named_parameters() if p.grad is not None}
    del m32
    model, checkpoint_name, checkpoint_path, n_dropout, x_np, labels_np, logits, loss = \
        forward_backward(name, args, torch.float64)

    params = []
    no_grad = []
    exact_zero = []
    for pname, p in model.named_parameters():
        cname = checkpoint_name(pname)
        if p.grad is None:
            no_grad.append(cname)
            continue
        g64 = p.grad.detach().contiguous().numpy().reshape(-1)
        g = g64.astype(np.float32)
        l2 = float(np.sqrt(np.sum(g64 * g64)))
        diff = g64 - grads32[pname]
        entry = {
            "name": cname,
            "shape": list(p.shape),
            "numel": int(g.size),
            "l2": l2,
            "sum": float(np.sum(g64)),
            "max_abs": float(np.max(np.abs(g64))),
            "torch_f32_rel_err": float(np.sqrt(np.sum(diff * diff))) / l2 if l2 > 0 else None,
            "torch_f32_max_abs_err": float(np.max(np.abs(diff))),
        }
        if l2 < ZERO_L2:
            exact_zero.append(cname)
        if g.size < FULL_BELOW:
            entry["values"] = [f32(v) for v in g]
        else:
            idx = sample_indices(g.size)
            entry["indices"] = idx
            entry["values"] = [f32(g[i]) for i in idx]
        params.append(entry)

    batch_norms = []
    for mname, m in model.named_modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            batch_norms.append({
                "name": checkpoint_name(mname),
                "momentum": m.momentum,
                "eps": m.eps,
                "running_mean": [f32(v) for v in m.running_mean.numpy()],
                "running_var": [f32(v) for v in m.running_var.numpy()],
                "num_batches_tracked": int(m.num_batches_tracked),
            })

    not_parameters = []
    if checkpoint_path:
        checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
        names = {checkpoint_name(n) for n, _ in model.named_parameters()} | \
                {checkpoint_name(n) for n, _ in model.named_buffers()}
        not_parameters = sorted(set(checkpoint) - names)

    doc = {
        "model": name,
        "generator": "tools/scripts/make_grad_fixtures.py",
        "torch_version": torch.__version__,
        "mode": f"train(), {n_dropout} nn.Dropout modules with p = 0, Freq_aug off",
        "input": {
            "clips": [wav for wav, _ in BATCH],
            "rule": "pcm / 32768 (16-bit PCM, mono, 16 kHz), then AASIST pad: first 64600 samples, "
                    "or tile and cut at 64600; no rotation",
            "shape": list(x_np.shape),
            "sha256": common.input_sha256(x_np),
        },
        "labels": labels_np.tolist(),
        "loss": {"kind": "CrossEntropyLoss(weight=[0.1, 0.9]), weighted mean", "class_weights": CLASS_WEIGHTS,
                 "value": float(loss.item()), "torch_f32": float(loss32.item())},
        "logits": logits.numpy().tolist(),
        "logits_torch_f32": logits32.numpy().tolist(),
        "reference": "gradients, logits, loss and BatchNorm statistics: the float64 run (float32 weights, "
                     "input and sinc filters promoted); values stored rounded to float32. "
                     "torch_f32_rel_err = ||g_torch_f32 - g||_2 / ||g||_2 per tensor",
        "sample_indices": f"numel < {FULL_BELOW}: every element (row-major 'values'); otherwise "
                          f"indices[k] = k*numel//{SAMPLES} + (k*7919) mod (numel//{SAMPLES}), k < {SAMPLES}",
        "grad_none": no_grad,
        "exact_zero": {"l2_below": ZERO_L2, "names": exact_zero,
                       "why": "zero or rounding noise: a bias followed by batch-statistics BatchNorm, a shift "
                              "cancelled by a softmax, or a weight behind a saturated tanh (AASIST-L's "
                              "heterogeneous graph attention, |g| ~ 1e-42); compare absolutely, not relatively"},
        "checkpoint_not_parameters": not_parameters,
        "parameters": params,
        "batch_norms": batch_norms,
    }
    out = os.path.join(OUT_DIR, name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "grad.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    np.save(os.path.join(out, "logits.npy"), logits32.numpy().astype(np.float32))
    np.save(os.path.join(out, "labels.npy"), labels_np)
    total = sum(e["numel"] for e in params)
    worst = sorted(((e["torch_f32_rel_err"], e["name"]) for e in params if e["name"] not in exact_zero), reverse=True)[:3]
    print(f"{name}: loss {loss.item():.6f}, logits {logits.detach().numpy().tolist()}, "
          f"{len(params)} tensors with grad ({total} elements), grad None: {no_grad}, exact zero: {exact_zero}, "
          f"worst torch f32 rel err: {worst}, "
          f"not parameters: {not_parameters}, {len(batch_norms)} BatchNorms, "
          f"grad.json {os.path.getsize(os.path.join(out, 'grad.json'))} bytes")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shared", default=common.DEFAULT_SHARED)
    p.add_argument("--aasist-repo", default="/work/peers/aasist")
    p.add_argument("--ssl-repo", default="/work/peers/ssl_antispoofing")
    p.add_argument("--models", default="aasist-l,ssl-aasist-mini")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    common.configure_threads(args.threads)
    import torch
    torch.set_num_threads(args.threads)
    for name in args.models.split(","):
        make(name, args)


if __name__ == "__main__":
    main()
