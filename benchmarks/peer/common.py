"""Shared pieces of the peer benchmarks: the fixed input, timing statistics, memory probes and
the JSON-lines record. The record format is the protocol every side (PyTorch, ONNX Runtime, sdd4j)
emits; benchmarks/README.md is its specification, keep the two in step.

This module must not import torch or onnxruntime: the thread-count environment variables have to
be set before those libraries load, and `configure_threads` is what sets them.
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import resource
import sys
import wave

import numpy as np

SCHEMA = "sdd4j-bench/1"
SAMPLE_RATE = 16000
NB_SAMP = 64600  # AASIST / SSL-AASIST fixed input length (4.0375 s at 16 kHz)
CROP_STRIDE = 8000  # batch item i starts i * 0.5 s into the clip (see `benchmark_input`)
MODELS = ("aasist", "ssl-aasist-300m")

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = os.path.dirname(HERE)
DEFAULT_OUT = os.path.join(BENCH_DIR, "out")
DEFAULT_SHARED = os.environ.get("SDD4J_SHARED", os.path.join(os.path.dirname(BENCH_DIR), "..", "shared"))
DEFAULT_SSL_CHECKPOINT = os.path.join(DEFAULT_OUT, "ssl_aasist_300m.pth")


def add_common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", choices=MODELS, required=True)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--shared", default=DEFAULT_SHARED,
                   help="the shared folder (models/, fixtures/); default $SDD4J_SHARED or ../shared")
    p.add_argument("--wav", default=None, help="input clip; default <shared>/fixtures/audio/espeak_1.wav")
    p.add_argument("--aasist-repo", default="/work/peers/aasist",
                   help="checkout of github.com/clovaai/aasist (models/AASIST.py is imported from it)")
    p.add_argument("--aasist-weights", default=None, help="default <shared>/models/aasist/AASIST.pth")
    p.add_argument("--aasist-conf", default=None, help="default <aasist-repo>/config/AASIST.conf")
    p.add_argument("--ssl-repo", default="/work/peers/ssl_antispoofing",
                   help="checkout of github.com/TakHemlata/SSL_Anti-spoofing (model.py is imported from it)")
    p.add_argument("--ssl-checkpoint", default=DEFAULT_SSL_CHECKPOINT,
                   help="SSL-AASIST 300M checkpoint written by make_ssl_aasist_300m.py")
    p.add_argument("--jsonl", default=None, help="append the result record to this file (also printed)")


def resolve_paths(args) -> None:
    if args.wav is None:
        args.wav = os.path.join(args.shared, "fixtures", "audio", "espeak_1.wav")
    if args.aasist_weights is None:
        args.aasist_weights = os.path.join(args.shared, "models", "aasist", "AASIST.pth")
    if args.aasist_conf is None:
        args.aasist_conf = os.path.join(args.aasist_repo, "config", "AASIST.conf")
    if args.batch < 1 or args.iters < 1 or args.warmup < 0 or args.threads < 1:
        sys.exit("batch, iters and threads must be >= 1, warmup >= 0")


def configure_threads(n: int) -> None:
    """Pins every threading layer a peer may use to n threads. Call before importing torch/onnxruntime."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)


def read_wav(path: str) -> np.ndarray:
    """16-bit PCM mono 16 kHz as float32 in [-1, 1), the values soundfile.read gives AASIST."""
    with wave.open(path, "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2 or w.getframerate() != SAMPLE_RATE:
            sys.exit(f"{path}: expected 16-bit mono {SAMPLE_RATE} Hz PCM, got {w.getparams()}")
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    if pcm.size == 0:
        sys.exit(f"{path}: no samples")
    return (pcm.astype(np.float64) / 32768.0).astype(np.float32)


def aasist_pad(x: np.ndarray, max_len: int = NB_SAMP) -> np.ndarray:
    """data_utils.pad of the AASIST repository: keep the first max_len samples, or tile and cut."""
    if x.shape[0] >= max_len:
        return x[:max_len]
    num_repeats = int(max_len / x.shape[0]) + 1
    return np.tile(x, (1, num_repeats))[:, :max_len][0]


def benchmark_input(wav_path: str, batch: int) -> np.ndarray:
    """(batch, 64600) float32. Item i is the clip rotated left by (i * 8000) mod len samples, then
    AASIST-padded. Item 0 is exactly what AASIST scores for the file; the other items are different
    crops of the same speech, so no item is a copy of another."""
    x = read_wav(wav_path)
    items = [aasist_pad(np.roll(x, -((i * CROP_STRIDE) % x.shape[0]))) for i in range(batch)]
    return np.ascontiguousarray(np.stack(items).astype(np.float32))


def input_sha256(x: np.ndarray) -> str:
    """Digest of the input as little-endian float32, row-major: lets every side prove it fed the same data."""
    return hashlib.sha256(np.ascontiguousarray(x, dtype="<f4").tobytes()).hexdigest()


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def p90(xs):
    """Nearest-rank 90th percentile: the ceil(0.9 n)-th smallest value."""
    s = sorted(xs)
    return s[max(1, math.ceil(0.9 * len(s))) - 1]


def proc_status_bytes(field: str):
    """VmHWM / VmRSS from /proc/self/status in bytes, None where /proc is missing."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def add_step_device_args(p: argparse.ArgumentParser) -> None:
    """Where and how a training-step peer runs: device, eager or torch.compile, and matmul precision."""
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="cuda: the step on GPU 0, timed to torch.cuda.synchronize() (the GPU run, benchmarks/gpu)")
    p.add_argument("--mode", choices=("eager", "compile"), default="eager",
                   help="compile: torch.compile the model(s) (inductor); the first warm-up step pays the compile")
    p.add_argument("--precision", choices=("fp32", "tf32", "bf16"), default="fp32",
                   help="fp32 keeps TF32 off everywhere; tf32 allows it in matmuls and convolutions; bf16 runs the "
                        "forward under bfloat16 autocast (the loss and the optimiser stay float32)")


def setup_torch_device(torch, args):
    """The torch device of --device, with TF32 set from --precision on the GPU (off for fp32, as sdd4j's float32)."""
    if args.device == "cpu":
        if getattr(args, "precision", "fp32") == "tf32":
            sys.exit(f"{os.path.basename(sys.argv[0])}: --precision tf32 is a GPU mode (tensor cores); use --device cuda")
        return torch.device("cpu")
    if not torch.cuda.is_available():
        sys.exit(f"{os.path.basename(sys.argv[0])}: --device cuda, but torch sees no CUDA device")
    tf32 = args.precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True  # as the scoring peer: PyTorch's fastest convolution algorithms
    return torch.device("cuda")


def step_mode(torch, args, model):
    """The model as --mode runs it: itself (eager) or torch.compile'd. Parameters stay shared with `model`."""
    return torch.compile(model) if getattr(args, "mode", "eager") == "compile" else model


def step_autocast(torch, args, device):
    """The context a forward pass runs in: bfloat16 autocast for --precision bf16, else nothing."""
    import contextlib
    if getattr(args, "precision", "fp32") == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def step_impl(args) -> str:
    """The record's impl: "torch" for the CPU eager float32 peer (the CPU tables' name), else torch-<mode>-<precision>."""
    mode, precision = getattr(args, "mode", "eager"), getattr(args, "precision", "fp32")
    if args.device == "cpu" and mode == "eager" and precision == "fp32":
        return "torch"
    return f"torch-{mode}-{precision}"


def torch_device_fields(torch, args) -> dict:
    """The record fields that say where and how a torch peer ran: nothing for the CPU eager float32 default."""
    mode, precision = getattr(args, "mode", "eager"), getattr(args, "precision", "fp32")
    fields = {} if mode == "eager" and precision == "fp32" else {"mode": mode, "precision": precision}
    if args.device == "cpu":
        return fields
    return {**fields, "device": "cuda", "gpu": torch.cuda.get_device_name(0), "mode": mode, "precision": precision}


def make_record(*, impl, impl_version, args, x, times_ms, load_ms, rss_before_load,
                weights_bytes, model_file_bytes, logits, extra=None) -> dict:
    rec = {
        "schema": SCHEMA,
        "impl": impl,
        "impl_version": impl_version,
        "device": "cpu",
        "model": args.model,
        "batch": args.batch,
        "threads": args.threads,
        "warmup": args.warmup,
        "iters": args.iters,
        "input": {
            "wav": os.path.basename(args.wav),
            "samples": int(x.shape[1]),
            "crop_stride": CROP_STRIDE,
            "sha256": input_sha256(x),
        },
        "times_ms": [round(t, 4) for t in times_ms],
        "median_ms": round(median(times_ms), 4),
        "p90_ms": round(p90(times_ms), 4),
        "mean_ms": round(sum(times_ms) / len(times_ms), 4),
        "min_ms": round(min(times_ms), 4),
        "clips_per_s": round(args.batch * 1000.0 / median(times_ms), 4),
        "load_ms": round(load_ms, 3),
        "rss_before_load_bytes": rss_before_load,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "vm_hwm_bytes": proc_status_bytes("VmHWM"),
        "weights_bytes": int(weights_bytes),
        "model_file_bytes": int(model_file_bytes),
        "logits": [[float(v) for v in row] for row in np.asarray(logits, dtype=np.float64)],
        "host": {"cpu": cpu_name(), "logical_cpus": os.cpu_count(), "os": platform.platform()},
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if extra:
        rec.update(extra)
    return rec


def emit(rec: dict, jsonl_path) -> None:
    line = json.dumps(rec, separators=(",", ":"))
    print(line, flush=True)
    if jsonl_path:
        os.makedirs(os.path.dirname(os.path.abspath(jsonl_path)), exist_ok=True)
        with open(jsonl_path, "a") as f:
            f.write(line + "\n")


def file_bytes(*paths) -> int:
    return sum(os.path.getsize(p) for p in paths if p and os.path.exists(p))
