#!/usr/bin/env python3
"""Reference forward and head gradients of the layer-fusion FFN head (EnvSSLAM-FFN, DESIGN.md 3.4) over the
frozen mini encoder of shared/fixtures/reference/ssl_aasist_mini.pth, for sdd4j's LayerFusionGradientTest.

The encoder is transformers' Wav2Vec2Model built from ssl_aasist_mini.json and loaded with the checkpoint's
ssl_model.model.* tensors (benchmarks/peer/peers.py maps the names; check_ssl_peer.py proves the stand-in on
this checkpoint). Its hidden states are taken layer by layer here, not through output_hidden_states, so the
numbering does not depend on the transformers version: 0 is the transformer input (after the positional conv),
i the output of layer i, before the final LayerNorm (fairseq's layer_results and transformers 5 agree).

The head, as a PyTorch module would be written (state-dict names are the checkpoint's):
    fusion.layer_logits  [K]          w = softmax(layer_logits)
    fused = sum_k w_k * h_{first+k}   [B, T, D]
    ffn = Sequential(Linear(D, HIDDEN), GELU(), Dropout(0), Linear(HIDDEN, 2))  on fused.mean(dim=1)
with LAYERS = [0, 2] (the mini encoder has 2 layers, so every hidden state, the last one included), the encoder
frozen (no_grad), the FFN initialised by torch's defaults from torch.manual_seed(SEED) and the layer logits drawn
normal (std 0.5) so that the fusion weights are unequal.

Batch, labels and loss as make_grad_fixtures.py: the same four clips AASIST-padded to 64,600 samples, labels
[0, 0, 1, 1], CrossEntropyLoss(weight=[0.1, 0.9]). Two runs: float32 (as PyTorch trains) and float64 on the same
float32 weights and input (the stored reference; float32 PyTorch's distance from it is stored per tensor).
Also stored: the gradients accumulated PyTorch's usual way over the micro-batches [clips 0, 1] and [clips 2, 3]
(each weighted loss / 2, backward twice), which differ from the whole-batch gradients since each micro-batch's
weighted mean has its own normaliser.

Written to engine/src/test/resources/fixtures/grad/layer-fusion-mini/grad.json.

Usage:
  python3 tools/scripts/make_layer_fusion_fixtures.py [--shared /work/shared]
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "peer"))
import common  # noqa: E402

OUT = os.path.join(ROOT, "engine", "src", "test", "resources", "fixtures", "grad", "layer-fusion-mini", "grad.json")
BATCH = [("espeak_1.wav", 0), ("flite_1.wav", 0), ("real_Front_Center.wav", 1), ("real_Front_Left.wav", 1)]
MICRO_BATCHES = [[0, 1], [2, 3]]
CLASS_WEIGHTS = [0.1, 0.9]
LAYERS = [0, 2]
HIDDEN = 16
SEED = 20260101


def f32(v) -> float:
    import numpy as np
    return float(str(np.float32(v)))


def load_encoder(shared: str):
    import torch
    import peers
    from transformers import Wav2Vec2Model
    ref = os.path.join(shared, "fixtures", "reference")
    with open(os.path.join(ref, "ssl_aasist_mini.json")) as f:
        config = json.load(f)["ssl"]
    enc = Wav2Vec2Model(peers.hf_wav2vec2_config(config))
    checkpoint = torch.load(os.path.join(ref, "ssl_aasist_mini.pth"), map_location="cpu", weights_only=True)
    state = {n: checkpoint["ssl_model.model." + peers.hf_name_to_fairseq(n)] for n in enc.state_dict()
             if n != "masked_spec_embed"}
    missing, unexpected = enc.load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if m != "masked_spec_embed"]:
        raise KeyError(f"encoder load: missing {missing}, unexpected {unexpected}")
    return enc.eval()


def hidden_states(enc, x):
    """Hidden states 0..L of a pre-LN encoder, and the encoder output (for a check against HF's own forward)."""
    feats = enc.feature_extractor(x).transpose(1, 2)
    h = enc.feature_projection(feats)
    h = h[0] if isinstance(h, tuple) else h
    e = enc.encoder
    h = h + e.pos_conv_embed(h)
    states = [h]
    for layer in e.layers:
        out = layer(h)
        h = out[0] if isinstance(out, tuple) else out
        states.append(h)
    return states, e.layer_norm(h)


def build_head(d: int):
    import torch
    import torch.nn as nn

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.fusion = nn.Module()
            self.fusion.layer_logits = nn.Parameter(torch.randn(LAYERS[1] - LAYERS[0] + 1) * 0.5)
            self.ffn = nn.Sequential(nn.Linear(d, HIDDEN), nn.GELU(), nn.Dropout(0.0), nn.Linear(HIDDEN, 2))

        def forward(self, states):
            w = torch.softmax(self.fusion.layer_logits, dim=0)
            fused = sum(w[k] * states[LAYERS[0] + k] for k in range(w.shape[0]))
            return self.ffn(fused.mean(dim=1))

    torch.manual_seed(SEED)
    return Head()


def run(dtype, enc32, head32, x_np, labels_np):
    """Forward and backward in dtype; returns logits, loss, grads, accumulated grads."""
    import copy
    import torch
    import torch.nn as nn
    enc = copy.deepcopy(enc32).to(dtype)
    head = copy.deepcopy(head32).to(dtype)
    head.train()
    x = torch.from_numpy(x_np).to(dtype)
    labels = torch.from_numpy(labels_np)
    criterion = nn.CrossEntropyLoss(weight=torch.tensor(CLASS_WEIGHTS, dtype=dtype))
    with torch.no_grad():
        states, last = hidden_states(enc, x)
        hf = enc(x).last_hidden_state
        assert torch.allclose(last, hf, atol=1e-4), "layer-by-layer encoder differs from transformers' forward"
    logits = head(states)
    loss = criterion(logits, labels)
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in head.named_parameters()}
    head.zero_grad()
    for mb in MICRO_BATCHES:
        micro_loss = criterion(head([s[mb] for s in states]), labels[mb]) / len(MICRO_BATCHES)
        micro_loss.backward()
    accumulated = {n: p.grad.detach().clone() for n, p in head.named_parameters()}
    return logits.detach(), loss.detach(), grads, accumulated


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shared", default=common.DEFAULT_SHARED)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    common.configure_threads(args.threads)
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)

    audio = os.path.join(args.shared, "fixtures", "audio")
    x_np = np.ascontiguousarray(np.stack([common.aasist_pad(common.read_wav(os.path.join(audio, w)))
                                          for w, _ in BATCH]).astype(np.float32))
    labels_np = np.array([label for _, label in BATCH], dtype=np.int64)
    enc = load_encoder(args.shared)
    for prm in enc.parameters():
        prm.requires_grad_(False)
    head = build_head(enc.config.hidden_size)

    logits32, loss32, grads32, acc32 = run(torch.float32, enc, head, x_np, labels_np)
    logits, loss, grads, acc = run(torch.float64, enc, head, x_np, labels_np)

    params = []
    for name, prm in head.named_parameters():
        def entry(g64, g32):
            g64 = g64.numpy().reshape(-1)
            diff = g64 - g32.double().numpy().reshape(-1)
            l2 = float(np.sqrt(np.sum(g64 * g64)))
            return {"l2": l2, "values": [f32(v) for v in g64],
                    "torch_f32_rel_err": float(np.sqrt(np.sum(diff * diff))) / l2}
        params.append({"name": name, "shape": list(prm.shape),
                       "weight": [f32(v) for v in prm.detach().numpy().reshape(-1)],
                       "grad": entry(grads[name], grads32[name]),
                       "accumulated_grad": entry(acc[name], acc32[name])})

    doc = {
        "model": "layer-fusion-mini",
        "generator": "tools/scripts/make_layer_fusion_fixtures.py",
        "torch_version": torch.__version__,
        "encoder": "fixtures/reference/ssl_aasist_mini.pth (ssl_model.model.*), frozen",
        "config": {"family": "layer-fusion", "layers": LAYERS, "activation": "gelu", "ffn_dropout": 0.0,
                   "input_length": 64600},
        "input": {"clips": [w for w, _ in BATCH], "rule": "pcm / 32768, AASIST pad to 64600",
                  "sha256": common.input_sha256(x_np)},
        "labels": labels_np.tolist(),
        "class_weights": CLASS_WEIGHTS,
        "micro_batches": MICRO_BATCHES,
        "loss": {"value": float(loss.item()), "torch_f32": float(loss32.item())},
        "logits": logits.numpy().tolist(),
        "reference": "float64 run on the float32 weights and input; weights stored as float32; gradients rounded "
                     "to float32; torch_f32_rel_err = ||g_torch_f32 - g||_2 / ||g||_2",
        "parameters": params,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"loss {loss.item():.6f} (f32 {loss32.item():.6f}), logits {logits.numpy().tolist()}, "
          f"worst torch f32 rel err {max(e['grad']['torch_f32_rel_err'] for e in params):.2e}, "
          f"{os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
