#!/usr/bin/env python3
"""Layer-by-layer gradients of the mini SSL-AASIST training step of make_grad_fixtures.py, for finding
where a float32 implementation's gradient error grows: d loss / d activation (and the activation) at
named points of the forward pass, in float32 and in float64, saved as .npy under --out/torch{32,64}/.

Points: ssl (encoder output, LL's input), LL, first_bn (before its SELU), encoder.0..5, first_bn1
(before its SELU), first_bn1.selu, attention (the map w), GAT_layer_S / GAT_layer_T, pool_S / pool_T,
readout (out_layer's input).

Also inside the encoder: ext.i / exti.conv / exti.ln (extractor layer i, its conv, its LayerNorm as
[B, T, C]), proj, pos, layer.i.

The table gives ||g - g64|| / ||g64|| per tensor for float32 PyTorch and, where --out/sdd4j/<name>.f32
exists (little-endian float32, row-major, the same layout), for sdd4j. sdd4j's side is dumped by an
identity op put at the same points of the Java model for the investigation (its forward writes the
activation, its backward step the gradient), run on the batch of ModelGradientTest.

What it found (ModelGradientTest's first_bn1.bias gap): every backward step keeps float32 PyTorch's
accuracy; the gradient error jumps where an activation sits within a few 1e-6 of SELU's kink and the
float32 forward puts it on the other side, and sdd4j's forward error was twice PyTorch's, from the first
extractor LayerNorm (float channel sums) onwards, and from float GEMM running sums over K.

  python3 tools/scripts/grad_probe.py --shared /work/shared --out /tmp/gradprobe
  python3 tools/scripts/grad_probe.py --out /tmp/gradprobe --compare   # only compare existing dumps
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_grad_fixtures as mgf  # noqa: E402


def run(args, dtype, out):
    import torch
    import torch.nn as nn

    os.makedirs(out, exist_ok=True)
    model, _, _ = mgf.load_model("ssl-aasist-mini", args)
    model.to(dtype)
    model.train()
    mgf.disable_dropout(model)
    m = model.model
    # SELU in place would modify the probed BatchNorm outputs; out of place computes the same values.
    m.selu = nn.SELU()
    for p in model.parameters():
        p.requires_grad_(True)
        p.grad = None
    saved = {}

    def keep(name, t):
        saved[name + ".act"] = t.detach().clone()
        t.register_hook(lambda g: saved.__setitem__(name + ".grad", g.detach().clone()))

    def out_hook(name):
        def hook(mod, inp, o):  # returns None: the output stays as it is
            keep(name, o if torch.is_tensor(o) else o[0])
        return hook

    def ll_hook(mod, inp, o):
        keep("ssl", inp[0])
        keep("LL", o)
    m.LL.register_forward_hook(ll_hook)
    m.first_bn.register_forward_hook(out_hook("first_bn"))
    enc = m.ssl_model.model
    for i, layer in enumerate(enc.feature_extractor.conv_layers):
        layer.register_forward_hook(out_hook(f"ext.{i}"))
        layer.conv.register_forward_hook(out_hook(f"ext{i}.conv"))
        layer.layer_norm.register_forward_hook(out_hook(f"ext{i}.ln"))
    enc.feature_projection.register_forward_hook(out_hook("proj"))
    enc.encoder.pos_conv_embed.register_forward_hook(out_hook("pos"))
    for i, layer in enumerate(enc.encoder.layers):
        layer.register_forward_hook(out_hook(f"layer.{i}"))
    for i in range(6):
        m.encoder[i].register_forward_hook(out_hook(f"encoder.{i}"))
    m.first_bn1.register_forward_hook(out_hook("first_bn1"))
    m.attention.register_forward_hook(out_hook("attention"))
    for n in ["GAT_layer_S", "GAT_layer_T", "pool_S", "pool_T"]:
        getattr(m, n).register_forward_hook(out_hook(n))
    m.out_layer.register_forward_hook(lambda mod, inp, o: keep("readout", inp[0]) and None)
    # first_bn1's SELU: the second call of m.selu.
    calls = [0]

    def selu_hook(mod, inp, o):
        calls[0] += 1
        if calls[0] == 2:
            keep("first_bn1.selu", o)
    m.selu.register_forward_hook(selu_hook)

    x_np, labels_np = mgf.build_batch(args.shared)
    logits = model(torch.from_numpy(x_np).to(dtype))
    loss = nn.CrossEntropyLoss(weight=torch.tensor(mgf.CLASS_WEIGHTS, dtype=dtype))(logits, torch.from_numpy(labels_np))
    loss.backward()
    for k, v in saved.items():
        np.save(os.path.join(out, k + ".npy"), v.double().numpy())
    for n in ["first_bn1.bias", "first_bn1.weight", "first_bn.bias", "LL.bias"]:
        mod, attr = n.rsplit(".", 1)
        g = getattr(getattr(m, mod), attr).grad
        np.save(os.path.join(out, "param." + n + ".npy"), g.double().numpy())
    print(f"{dtype}: loss {loss.item():.8f}, {len(saved)} tensors in {out}")


def compare(out):
    ref = os.path.join(out, "torch64")
    names = sorted(f[:-4] for f in os.listdir(ref) if f.endswith(".npy"))
    print(f"{'tensor':32s} {'|ref|':>10s} {'torch32':>10s} {'sdd4j':>10s}")
    for n in names:
        r = np.load(os.path.join(ref, n + ".npy")).reshape(-1)
        t = np.load(os.path.join(out, "torch32", n + ".npy")).reshape(-1)
        s_path = os.path.join(out, "sdd4j", n + ".f32")
        s = np.fromfile(s_path, dtype="<f4").astype(np.float64) if os.path.exists(s_path) else None
        nr = np.linalg.norm(r)
        et = np.linalg.norm(t - r) / nr
        es = "-" if s is None or s.size != r.size else f"{np.linalg.norm(s - r) / nr:10.3g}"
        print(f"{n:32s} {nr:10.4g} {et:10.3g} {es:>10s}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shared", default=mgf.common.DEFAULT_SHARED)
    p.add_argument("--ssl-repo", default="/work/peers/ssl_antispoofing")
    p.add_argument("--out", default="/tmp/gradprobe")
    p.add_argument("--compare", action="store_true", help="only compare existing dumps")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    if not args.compare:
        mgf.common.configure_threads(args.threads)
        import torch
        torch.set_num_threads(args.threads)
        run(args, torch.float32, os.path.join(args.out, "torch32"))
        run(args, torch.float64, os.path.join(args.out, "torch64"))
    compare(args.out)


if __name__ == "__main__":
    main()
