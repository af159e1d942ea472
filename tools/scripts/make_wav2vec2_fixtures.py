#!/usr/bin/env python3
"""Reference fixtures for sdd4j's Hugging Face Wav2Vec2 loader and encoder.

Builds two tiny, randomly initialised transformers.Wav2Vec2Model encoders with a fixed seed, one per
architecture variant sdd4j must reproduce:

  pre_ln   do_stable_layer_norm=True,  feat_extract_norm="layer", conv_bias=True   (XLS-R / MMS / large)
  post_ln  do_stable_layer_norm=False, feat_extract_norm="group", conv_bias=False  (base / small)

Each is saved with save_pretrained(safe_serialization=True) (config.json + model.safetensors) and run in
eval mode on fixed random waveforms of two lengths. The outputs are written as float32 .npy files with
an index.json describing every array. sdd4j never runs Python: this script only makes test data.

Usage: python3 tools/scripts/make_wav2vec2_fixtures.py [--out engine/src/test/resources/fixtures/wav2vec2]
"""
import argparse
import json
import pathlib
import shutil

import numpy as np
import torch
import transformers
from safetensors import safe_open
from transformers import Wav2Vec2Config, Wav2Vec2Model

SEED = 20240611
INPUT_LENGTHS = (16000, 23456)  # one second, and an irregular length that exercises conv truncation

# Small but structurally complete: the standard 7-layer conv stack, the standard positional conv
# (kernel 128, 16 groups), and enough layers/heads to catch per-layer and per-head indexing errors.
COMMON = dict(
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=128,
    conv_dim=(32,) * 7,
    conv_kernel=(10, 3, 3, 3, 3, 2, 2),
    conv_stride=(5, 2, 2, 2, 2, 2, 2),
    num_conv_pos_embeddings=128,
    num_conv_pos_embedding_groups=16,
    hidden_act="gelu",
    feat_extract_activation="gelu",
    layer_norm_eps=1e-5,
    initializer_range=0.1,
    hidden_dropout=0.0,
    attention_dropout=0.0,
    activation_dropout=0.0,
    feat_proj_dropout=0.0,
    final_dropout=0.0,
    layerdrop=0.0,
)

VARIANTS = {
    "pre_ln": dict(do_stable_layer_norm=True, feat_extract_norm="layer", conv_bias=True),
    "post_ln": dict(do_stable_layer_norm=False, feat_extract_norm="group", conv_bias=False),
}


def perturb_defaults(model: Wav2Vec2Model, generator: torch.Generator) -> None:
    """Replaces the constant initialisations (norm weights 1, biases 0) by random values.

    A loader that forgot a bias or a norm's affine part would otherwise still match the reference.
    """
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=generator)
            if name.endswith("bias"):
                p.copy_(0.1 * noise)
            elif "layer_norm" in name and name.endswith("weight"):  # LayerNorm and GroupNorm
                p.copy_(1.0 + 0.2 * noise)
            elif name == "masked_spec_embed":
                p.copy_(noise)


def save_array(out: pathlib.Path, index: dict, key: str, array: np.ndarray, note: str) -> None:
    array = np.ascontiguousarray(array, dtype="<f4")
    file = key + ".npy"
    np.save(out / file, array)
    index[key] = {"file": file, "dtype": "float32", "shape": list(array.shape), "note": note}


def weight_norm_keys(safetensors_path: pathlib.Path) -> list:
    with safe_open(str(safetensors_path), framework="pt") as f:
        return sorted(k for k in f.keys() if "pos_conv_embed" in k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parents[2]
                        / "engine/src/test/resources/fixtures/wav2vec2")
    args = parser.parse_args()
    out_root: pathlib.Path = args.out
    out_root.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)

    # Inputs are shared by both variants so a test can compare them side by side.
    rng = np.random.default_rng(SEED)
    inputs = {n: np.clip(0.3 * rng.standard_normal(n), -1.0, 1.0).astype("<f4") for n in INPUT_LENGTHS}
    top_index = {
        "generator": "tools/scripts/make_wav2vec2_fixtures.py",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "seed": SEED,
        "inputs": {},
        "variants": {},
    }
    for n, wav in inputs.items():
        file = f"input_{n}.npy"
        np.save(out_root / file, wav)
        top_index["inputs"][str(n)] = {"file": file, "dtype": "float32", "shape": [n]}

    for variant, arch in VARIANTS.items():
        torch.manual_seed(SEED)
        config = Wav2Vec2Config(**COMMON, **arch)
        model = Wav2Vec2Model(config)
        perturb_defaults(model, torch.Generator().manual_seed(SEED + 1))
        model.eval()

        vdir = out_root / variant
        if vdir.exists():
            shutil.rmtree(vdir)
        model_dir = vdir / "model"
        model.save_pretrained(model_dir, safe_serialization=True)
        for extra in model_dir.iterdir():  # keep only what a loader reads
            if extra.name not in ("config.json", "model.safetensors"):
                extra.unlink()

        # The saved file, not the in-memory module, is what sdd4j loads: reload it to prove it is complete.
        reloaded = Wav2Vec2Model.from_pretrained(model_dir).eval()

        index = {"arrays": {}, "weight_norm_keys": weight_norm_keys(model_dir / "model.safetensors")}
        for n, wav in inputs.items():
            x = torch.from_numpy(wav).unsqueeze(0)
            with torch.no_grad():
                o = model(x, output_hidden_states=True)
                o2 = reloaded(x, output_hidden_states=True)
                conv = model.feature_extractor(x).transpose(1, 2)
            diff = (o.last_hidden_state - o2.last_hidden_state).abs().max().item()
            assert diff == 0.0, f"{variant}: reloaded model differs by {diff}"
            save_array(vdir, index["arrays"], f"conv_features_{n}", conv[0].numpy(),
                       "feature_extractor output, (frames, conv_dim[-1])")
            save_array(vdir, index["arrays"], f"extract_features_{n}", o.extract_features[0].numpy(),
                       "feature_projection.layer_norm(conv features), (frames, conv_dim[-1])")
            save_array(vdir, index["arrays"], f"last_hidden_state_{n}", o.last_hidden_state[0].numpy(),
                       "encoder output, (frames, hidden_size)")
            for i, h in enumerate(o.hidden_states):
                save_array(vdir, index["arrays"], f"hidden_state_{i}_{n}", h[0].numpy(),
                           f"hidden_states[{i}] of {len(o.hidden_states)}, (frames, hidden_size)")
        top_index["variants"][variant] = {
            "model_dir": f"{variant}/model",
            "architecture": arch,
            "num_hidden_states": config.num_hidden_layers + 1,
            "arrays": {k: f"{variant}/{v['file']}" for k, v in index["arrays"].items()},
            "shapes": {k: v["shape"] for k, v in index["arrays"].items()},
            "weight_norm_keys": index["weight_norm_keys"],
        }
        print(variant, "weight-norm keys:", index["weight_norm_keys"])

    (out_root / "index.json").write_text(json.dumps(top_index, indent=2) + "\n")
    total = sum(p.stat().st_size for p in out_root.rglob("*") if p.is_file())
    print(f"wrote {out_root} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
