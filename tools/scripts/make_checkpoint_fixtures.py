#!/usr/bin/env python3
"""Makes the small checkpoint fixtures of engine/src/test/resources/checkpoint and prints the reference
numbers that CheckpointFilesTest checks against the shared checkpoints.

    python3 tools/scripts/make_checkpoint_fixtures.py [--shared /work/shared]

Fixtures (all small, deterministic with seed 0):
  weightnorm_old.pth     Conv1d(8, 8, 6, groups 2) with torch.nn.utils.weight_norm(dim=2) and a Linear(5, 3)
                         with weight_norm(dim=0), under "conv." and "linear."
  weightnorm_new.pth     the same conv with torch.nn.utils.parametrizations.weight_norm(dim=2)
  nested.pth             {"epoch", "best_acc", "name", "model": {...}} with a transposed (strided) tensor,
                         a view at a storage offset, a float16 tensor and an int64 tensor
  legacy.pth             the same dict saved with _use_new_zipfile_serialization=False
  reference.safetensors  written by the python safetensors library: the effective weights torch computes
                         for the weight-norm fixtures, the expected contents of nested.pth, and one
                         tensor of each dtype, with __metadata__
"""
import argparse
import collections
import os

import torch
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "engine", "src", "test", "resources", "checkpoint")


def scale_g(module_g):
    # At registration g == ||v||, so w == v and a reader that ignored g would pass: perturb g.
    with torch.no_grad():
        module_g.mul_(0.5 + torch.rand_like(module_g))


def make_fixtures():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    expected = collections.OrderedDict()

    conv = torch.nn.Conv1d(8, 8, 6, padding=3, groups=2)
    linear = torch.nn.Linear(5, 3)
    conv_old = torch.nn.utils.weight_norm(torch.nn.Conv1d(8, 8, 6, padding=3, groups=2), dim=2)
    conv_old.load_state_dict({"weight_g": conv_old.weight_g, "weight_v": conv.weight.detach(), "bias": conv.bias.detach()})
    scale_g(conv_old.weight_g)
    linear_old = torch.nn.utils.weight_norm(linear, dim=0)
    scale_g(linear_old.weight_g)
    sd_old = collections.OrderedDict()
    for k, v in conv_old.state_dict().items():
        sd_old["conv." + k] = v
    for k, v in linear_old.state_dict().items():
        sd_old["linear." + k] = v
    torch.save(sd_old, os.path.join(OUT, "weightnorm_old.pth"))
    expected["old.conv.weight"] = torch._weight_norm(conv_old.weight_v, conv_old.weight_g, 2).detach().clone()
    expected["old.linear.weight"] = torch._weight_norm(linear_old.weight_v, linear_old.weight_g, 0).detach().clone()

    conv_new = torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv1d(8, 8, 6, padding=3, groups=2), dim=2)
    scale_g(conv_new.parametrizations.weight.original0)
    sd_new = collections.OrderedDict(("conv." + k, v) for k, v in conv_new.state_dict().items())
    torch.save(sd_new, os.path.join(OUT, "weightnorm_new.pth"))
    expected["new.conv.weight"] = conv_new.weight.detach().clone()

    base = torch.randn(4, 3)
    storage_owner = torch.randn(10)
    model = collections.OrderedDict()
    model["dense"] = torch.randn(2, 3)
    model["transposed"] = base.t()            # strides (1, 3): not contiguous
    model["offset_view"] = storage_owner[3:7]  # storage offset 3 into a 10-element storage
    model["half"] = torch.randn(5).half()
    model["steps"] = torch.arange(6, dtype=torch.int64).reshape(2, 3)
    model["scalar"] = torch.tensor(2.5)
    checkpoint = {"epoch": 7, "best_acc": 0.93, "name": "mini", "model": model}
    torch.save(checkpoint, os.path.join(OUT, "nested.pth"))
    torch.save(checkpoint, os.path.join(OUT, "legacy.pth"), _use_new_zipfile_serialization=False)
    for k, v in model.items():
        expected["nested." + k] = v.contiguous().clone()

    expected["dtype.f32"] = torch.randn(2, 3)
    expected["dtype.f64"] = torch.randn(3, dtype=torch.float64)
    expected["dtype.f16"] = torch.randn(4).half()
    expected["dtype.bf16"] = torch.randn(4).bfloat16()
    expected["dtype.i64"] = torch.tensor([-3, 0, 1 << 40], dtype=torch.int64)
    expected["dtype.i32"] = torch.tensor([-7, 9], dtype=torch.int32)
    expected["dtype.i16"] = torch.tensor([-300, 300], dtype=torch.int16)
    expected["dtype.i8"] = torch.tensor([-128, 127], dtype=torch.int8)
    expected["dtype.u8"] = torch.tensor([0, 255], dtype=torch.uint8)
    expected["dtype.bool"] = torch.tensor([True, False, True])
    save_file(expected, os.path.join(OUT, "reference.safetensors"),
              metadata={"format": "pt", "made_by": "make_checkpoint_fixtures.py"})


BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


def print_reference(shared):
    files = ["models/aasist/AASIST.pth", "models/aasist/AASIST-L.pth", "models/asvspoof5-aasist/best.pth",
             "fixtures/reference/ssl_aasist_mini.pth", "fixtures/reference/antideepfake_mini.pth"]
    for rel in files:
        sd = torch.load(os.path.join(shared, rel), map_location="cpu", weights_only=True)
        params = sum(v.numel() for k, v in sd.items() if not k.endswith(BUFFERS))
        total = sum(v.numel() for v in sd.values())
        print(f"{rel}: {len(sd)} tensors, {total} elements, {params} parameters")
        keys = list(sd.keys())
        for k in keys[:2] + keys[-2:]:
            v = sd[k]
            flat = v.reshape(-1).double()
            print(f"  {k} {list(v.shape)} {v.dtype} sum={flat.sum().item()!r} first={[float(x) for x in flat[:3]]}")
        for k in keys:
            if k.endswith("pos_conv.0.weight_g"):
                base = k[:-len(".weight_g")]
                w = torch._weight_norm(sd[base + ".weight_v"], sd[k], 2).double()
                print(f"  weight norm {base} dim 2: sum={w.sum().item()!r} abs_sum={w.abs().sum().item()!r} "
                      f"w[0,0,:3]={[float(x) for x in w[0, 0, :3]]} w[5,3,100]={float(w[5, 3, 100])!r}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(os.path.dirname(ROOT), "shared"))
    parser.add_argument("--no-fixtures", action="store_true")
    args = parser.parse_args()
    if not args.no_fixtures:
        make_fixtures()
    print_reference(args.shared)
