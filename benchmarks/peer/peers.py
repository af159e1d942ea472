"""Builds the PyTorch peer models from the original reference code, imported from checkouts that
live outside this repository (nothing of theirs is copied here).

- AASIST: models/AASIST.py of github.com/clovaai/aasist with the official weights and config.
- SSL-AASIST 300M: the `Model` class of model.py in github.com/TakHemlata/SSL_Anti-spoofing, with
  its fairseq wav2vec 2.0 front end replaced by transformers' Wav2Vec2Model at XLS-R 300M size.
  model.py is imported with a stand-in `fairseq` module whose checkpoint loader hands back the HF
  encoder behind fairseq's call convention, so the back end and `SSLModel.extract_feat` run as
  published.

Checkpoints use the fairseq key names of the original SSL-AASIST checkpoints
(`ssl_model.model.<fairseq wav2vec2 name>` + back-end names), which is what sdd4j loads; the
HF <-> fairseq name mapping is DESIGN.md 3.2.
"""
import importlib.util
import json
import os
import re
import sys
import types

import torch
import torch.nn as nn


def _import_file(name: str, path: str):
    if not os.path.isfile(path):
        sys.exit(f"{path}: not found (is the reference checkout path right?)")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------- AASIST

class AasistLogits(nn.Module):
    """AASIST's forward returns (embedding, logits); benchmarks and ONNX export want logits only."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)[1]


def load_aasist(repo: str, conf_path: str, weights_path: str) -> nn.Module:
    module = _import_file("clovaai_aasist_model", os.path.join(repo, "models", "AASIST.py"))
    with open(conf_path) as f:
        model_config = json.load(f)["model_config"]
    model = module.Model(model_config)
    state = torch.load(weights_path, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return AasistLogits(model).eval()


# ------------------------------------------------------------------------------------ SSL-AASIST 300M

# XLS-R 300M (fairseq xlsr2_300m.pt) shape; the CNN extractor is layer-norm mode with conv bias,
# the transformer is pre-LN ("layer_norm_first" / HF do_stable_layer_norm).
XLSR_300M = {
    "hidden_size": 1024,
    "num_layers": 24,
    "num_heads": 16,
    "ffn_dim": 4096,
    "layer_norm_first": True,
    "extractor_mode": "layer_norm",
    "conv_bias": True,
    "conv_layers": "[(512,10,5)] + [(512,3,2)]*4 + [(512,2,2)]*2",
    "conv_pos": 128,
    "conv_pos_groups": 16,
}


def hf_wav2vec2_config(c: dict):
    """HF config for a pre-LN, layer-norm-extractor encoder described as in ssl_aasist_mini.json."""
    from transformers import Wav2Vec2Config
    if not (c["layer_norm_first"] and c["extractor_mode"] == "layer_norm" and c["conv_bias"]):
        raise ValueError(f"only the XLS-R style encoder (pre-LN, layer-norm extractor, conv bias) is built here: {c}")
    if c["conv_layers"].replace(" ", "") != "[(512,10,5)]+[(512,3,2)]*4+[(512,2,2)]*2":
        raise ValueError(f"unsupported conv_layers {c['conv_layers']!r}")
    return Wav2Vec2Config(
        hidden_size=c["hidden_size"], num_hidden_layers=c["num_layers"],
        num_attention_heads=c["num_heads"], intermediate_size=c["ffn_dim"],
        do_stable_layer_norm=True, feat_extract_norm="layer", conv_bias=True,
        conv_dim=[512] * 7, conv_kernel=[10, 3, 3, 3, 3, 2, 2], conv_stride=[5, 2, 2, 2, 2, 2, 2],
        num_conv_pos_embeddings=c["conv_pos"], num_conv_pos_embedding_groups=c["conv_pos_groups"],
        hidden_act="gelu", feat_extract_activation="gelu", layer_norm_eps=1e-5,
        hidden_dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, feat_proj_dropout=0.0,
        layerdrop=0.0, mask_time_prob=0.0, apply_spec_augment=False,
    )


def _fairseq_call_encoder_class():
    from transformers import Wav2Vec2Model

    class FairseqCallWav2Vec2(Wav2Vec2Model):
        """HF Wav2Vec2Model answering fairseq's `model(x, mask=False, features_only=True)['x']`,
        the call SSLModel.extract_feat makes. Being a subclass (not a wrapper) keeps its state-dict
        names the plain HF names."""

        def forward(self, source, mask=False, features_only=True):
            return {"x": super().forward(source).last_hidden_state}

    return FairseqCallWav2Vec2


def _import_ssl_model_py(ssl_repo: str, encoder: nn.Module):
    """Imports model.py with `fairseq` stood in: its checkpoint loader returns `encoder`."""
    loader = lambda paths, *a, **k: ([encoder], None, None)  # noqa: E731
    saved = sys.modules.get("fairseq")
    sys.modules["fairseq"] = types.SimpleNamespace(
        checkpoint_utils=types.SimpleNamespace(load_model_ensemble_and_task=loader))
    try:
        return _import_file("tak_ssl_aasist_model", os.path.join(ssl_repo, "model.py"))
    finally:
        if saved is None:
            del sys.modules["fairseq"]
        else:
            sys.modules["fairseq"] = saved


class SslAasistLogits(nn.Module):
    """The published SSL-AASIST Model; its forward takes (B, samples) and returns (B, 2) logits."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)


def build_ssl_aasist(ssl_repo: str, encoder_config: dict = XLSR_300M) -> nn.Module:
    """Randomly initialised (use torch.manual_seed first for a fixed model), eval mode."""
    encoder = _fairseq_call_encoder_class()(hf_wav2vec2_config(encoder_config))
    module = _import_ssl_model_py(ssl_repo, encoder)
    if encoder_config["hidden_size"] != 1024:
        # model.py's SSLModel hard-codes out_dim = 1024 (XLS-R 300M), which sizes LL; narrower
        # encoders (the mini fixture) need it to follow the encoder.
        original_init = module.SSLModel.__init__

        def sized_init(self, device):
            original_init(self, device)
            self.out_dim = encoder_config["hidden_size"]
        module.SSLModel.__init__ = sized_init
    model = module.Model(None, "cpu")
    # SSLModel.extract_feat switches the encoder to train() if its parameters' device/dtype differ
    # from the input's; ours are float32 CPU like the input, so eval() below sticks.
    return SslAasistLogits(model).eval()


# HF name (inside ssl_model.model.) -> fairseq name; DESIGN.md 3.2.
_HF_TO_FAIRSEQ = [
    (r"^feature_extractor\.conv_layers\.(\d+)\.conv\.", r"feature_extractor.conv_layers.\1.0."),
    (r"^feature_extractor\.conv_layers\.(\d+)\.layer_norm\.", r"feature_extractor.conv_layers.\1.2.1."),
    (r"^feature_projection\.layer_norm\.", r"layer_norm."),
    (r"^feature_projection\.projection\.", r"post_extract_proj."),
    (r"^encoder\.pos_conv_embed\.conv\.parametrizations\.weight\.original0$", r"encoder.pos_conv.0.weight_g"),
    (r"^encoder\.pos_conv_embed\.conv\.parametrizations\.weight\.original1$", r"encoder.pos_conv.0.weight_v"),
    (r"^encoder\.pos_conv_embed\.conv\.weight_g$", r"encoder.pos_conv.0.weight_g"),
    (r"^encoder\.pos_conv_embed\.conv\.weight_v$", r"encoder.pos_conv.0.weight_v"),
    (r"^encoder\.pos_conv_embed\.conv\.bias$", r"encoder.pos_conv.0.bias"),
    (r"^encoder\.layer_norm\.", r"encoder.layer_norm."),
    (r"^encoder\.layers\.(\d+)\.attention\.", r"encoder.layers.\1.self_attn."),
    (r"^encoder\.layers\.(\d+)\.layer_norm\.", r"encoder.layers.\1.self_attn_layer_norm."),
    (r"^encoder\.layers\.(\d+)\.feed_forward\.intermediate_dense\.", r"encoder.layers.\1.fc1."),
    (r"^encoder\.layers\.(\d+)\.feed_forward\.output_dense\.", r"encoder.layers.\1.fc2."),
    (r"^encoder\.layers\.(\d+)\.final_layer_norm\.", r"encoder.layers.\1.final_layer_norm."),
    (r"^masked_spec_embed$", r"mask_emb"),
]

# Pretraining-only tensors an XLS-R checkpoint carries (shapes of xlsr2_300m.pt) that fine-tuned
# SSL-AASIST checkpoints keep and every loader ignores; the random checkpoint carries them too, so
# sdd4j's loader meets the same key set as in a real one.
PRETRAINING_ONLY = {
    "mask_emb": (1024,),
    "quantizer.vars": (1, 640, 384),
    "quantizer.weight_proj.weight": (640, 512),
    "quantizer.weight_proj.bias": (640,),
    "project_q.weight": (768, 768),
    "project_q.bias": (768,),
    "final_proj.weight": (768, 1024),
    "final_proj.bias": (768,),
}
_ENCODER_PREFIX = "model.ssl_model.model."
_CHECKPOINT_ENCODER_PREFIX = "ssl_model.model."


def hf_name_to_fairseq(hf_name: str) -> str:
    for pattern, repl in _HF_TO_FAIRSEQ:
        if re.match(pattern, hf_name):
            return re.sub(pattern, repl, hf_name)
    raise KeyError(f"no fairseq name for HF wav2vec2 tensor {hf_name!r}")


def to_checkpoint_state(peer: SslAasistLogits) -> dict:
    """Peer state dict -> SSL-AASIST checkpoint state dict (fairseq encoder names)."""
    out = {}
    for name, t in peer.state_dict().items():
        name = name[len("model."):]  # drop SslAasistLogits' attribute
        if name.startswith(_CHECKPOINT_ENCODER_PREFIX):
            name = _CHECKPOINT_ENCODER_PREFIX + hf_name_to_fairseq(name[len(_CHECKPOINT_ENCODER_PREFIX):])
        out[name] = t.detach().clone().contiguous()
    for name, shape in PRETRAINING_ONLY.items():
        key = _CHECKPOINT_ENCODER_PREFIX + name
        if key not in out:
            out[key] = torch.empty(shape).uniform_(-0.1, 0.1)
    return out


def from_checkpoint_state(peer: SslAasistLogits, checkpoint: dict, assign: bool = False) -> None:
    """Loads a checkpoint with fairseq encoder names into the peer, strictly: every peer tensor
    must be present with its shape, and every checkpoint tensor must be used."""
    fairseq_to_peer = {}
    for name in peer.state_dict():
        ck = name[len("model."):]
        if ck.startswith(_CHECKPOINT_ENCODER_PREFIX):
            ck = _CHECKPOINT_ENCODER_PREFIX + hf_name_to_fairseq(ck[len(_CHECKPOINT_ENCODER_PREFIX):])
        fairseq_to_peer[ck] = name
    missing = sorted(set(fairseq_to_peer) - set(checkpoint))
    ignored = {_CHECKPOINT_ENCODER_PREFIX + n for n in PRETRAINING_ONLY}
    unused = sorted(set(checkpoint) - set(fairseq_to_peer) - ignored)
    if missing or unused:
        raise KeyError(f"checkpoint does not match SSL-AASIST 300M: missing {missing[:8]}, unused {unused[:8]}")
    peer.load_state_dict({p: checkpoint[k] for k, p in fairseq_to_peer.items()}, strict=True, assign=assign)


def load_ssl_aasist(ssl_repo: str, checkpoint_path: str, encoder_config: dict = XLSR_300M) -> nn.Module:
    if not os.path.isfile(checkpoint_path):
        sys.exit(f"{checkpoint_path}: not found; create it with benchmarks/peer/make_ssl_aasist_300m.py")
    # Read into ordinary memory (not mmap=True: file-backed weights measured slower here), into a
    # model built on the meta device that then takes the checkpoint's tensors as they are: no
    # random initialisation to pay for and no second copy of the weights.
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
    with torch.device("meta"):
        peer = build_ssl_aasist(ssl_repo, encoder_config)
    from_checkpoint_state(peer, checkpoint, assign=True)
    leftover = [n for n, t in list(peer.named_parameters()) + list(peer.named_buffers()) if t.is_meta]
    if leftover:
        raise RuntimeError(f"tensors not loaded from {checkpoint_path}: {leftover[:8]}")
    return peer.eval()


# ------------------------------------------------------------------------------------------- common

def load_peer(args) -> nn.Module:
    if args.model == "aasist":
        return load_aasist(args.aasist_repo, args.aasist_conf, args.aasist_weights)
    if args.model == "ssl-aasist-300m":
        return load_ssl_aasist(args.ssl_repo, args.ssl_checkpoint)
    raise ValueError(args.model)


def model_file_path(args) -> str:
    return args.aasist_weights if args.model == "aasist" else args.ssl_checkpoint


def state_bytes(model: nn.Module) -> int:
    """Bytes of every tensor in the state dict (parameters and buffers), as held in memory."""
    return sum(t.numel() * t.element_size() for t in model.state_dict().values())
