#!/usr/bin/env python3
"""ONNX Runtime CPU peer: exports the same PyTorch peer model to ONNX (once; cached under
benchmarks/out/onnx/), then times onnxruntime on the fixed input and prints one sdd4j-bench/1
JSON record (benchmarks/README.md).

Export notes:
- TorchScript-based exporter (dynamo=False), opset 17, the batch axis dynamic. AASIST's graph
  pooling keeps max(int(N * k), 1) nodes with torch.topk; N depends only on the fixed input length
  (64,600 samples), not on the batch, so k is a constant in the traced graph and a dynamic batch
  axis exports fine. The exported model is checked against PyTorch on a batch of a different size
  than the one traced before it is cached.
- SSL-AASIST 300M (1.26 GB of weights) is saved with external data (<name>.onnx +
  <name>.onnx.data), as any model near the 2 GB protobuf limit must be.
- The export is redone when its source checkpoint is newer than the cached .onnx.

  python3 benchmarks/peer/onnx_bench.py --model aasist --batch 8 --threads 2 --iters 20
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

OPSET = 17


def onnx_path(args) -> str:
    name = "aasist" if args.model == "aasist" else "ssl_aasist_300m"
    return os.path.join(args.onnx_dir, name + ".onnx")


def peers_model_file(args) -> str:
    """The checkpoint the export is made from (mirrors peers.model_file_path without importing torch)."""
    return args.aasist_weights if args.model == "aasist" else args.ssl_checkpoint


def export(args, path: str) -> None:
    import numpy as np
    import torch
    import peers
    import onnx
    import onnxruntime as ort

    torch.set_num_threads(args.threads)
    model = peers.load_peer(args)
    trace_batch, check_batch = 2, 3  # trace and verify at different sizes: proves the batch axis is dynamic
    x = torch.from_numpy(common.benchmark_input(args.wav, trace_batch))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    t0 = time.perf_counter()
    with torch.inference_mode():
        torch.onnx.export(model, (x,), tmp, dynamo=False, opset_version=OPSET,
                          input_names=["waveform"], output_names=["logits"],
                          dynamic_axes={"waveform": {0: "batch"}, "logits": {0: "batch"}},
                          do_constant_folding=True)
    large = args.model == "ssl-aasist-300m"
    # Re-save in a fixed layout: external data for the 300M model (one .data file next to it).
    m = onnx.load(tmp, load_external_data=True)
    if large:
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data", size_threshold=1024)
    else:
        onnx.save_model(m, path)
    os.remove(tmp)
    print(f"exported {path} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    xc = common.benchmark_input(args.wav, check_batch)
    with torch.inference_mode():
        ref = model(torch.from_numpy(xc)).numpy()
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(["logits"], {"waveform": xc})[0]
    diff = float(np.max(np.abs(got - ref)))
    print(f"onnxruntime vs torch at batch {check_batch}: max |diff| = {diff:.3g}", file=sys.stderr)
    if not diff < 1e-3:
        os.remove(path)
        sys.exit(f"{path}: exported model disagrees with PyTorch (max |diff| {diff})")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(p)
    p.add_argument("--onnx-dir", default=os.path.join(common.DEFAULT_OUT, "onnx"))
    p.add_argument("--reexport", action="store_true", help="export again even if the .onnx exists")
    p.add_argument("--export-only", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    common.resolve_paths(args)
    common.configure_threads(args.threads)
    return args


def main():
    args = parse_args()
    if args.export_only:
        export(args, onnx_path(args))
        return

    path = onnx_path(args)
    source = peers_model_file(args)
    stale = os.path.exists(path) and os.path.getmtime(path) < os.path.getmtime(source)
    if args.reexport or stale or not os.path.exists(path):
        # Export in a child process, so the PyTorch model's memory does not count in this
        # process's peak RSS.
        import subprocess
        cmd = [sys.executable, os.path.abspath(__file__), "--export-only"] + sys.argv[1:]
        subprocess.run(cmd, check=True)

    import numpy as np
    import onnx
    import onnxruntime as ort

    x = common.benchmark_input(args.wav, args.batch)
    rss_before = common.proc_status_bytes("VmRSS")
    t0 = time.perf_counter()
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    load_ms = (time.perf_counter() - t0) * 1000.0

    times = []
    for i in range(args.warmup + args.iters):
        t0 = time.perf_counter()
        logits = sess.run(["logits"], {"waveform": x})[0]
        dt = (time.perf_counter() - t0) * 1000.0
        if i >= args.warmup:
            times.append(dt)

    m = onnx.load(path, load_external_data=False)
    weights = sum(int(np.prod(t.dims)) * onnx.helper.tensor_dtype_to_np_dtype(t.data_type).itemsize
                  for t in m.graph.initializer)
    data = path + ".data"
    common.emit(common.make_record(
        impl="onnxruntime", impl_version=ort.__version__, args=args, x=x, times_ms=times, load_ms=load_ms,
        rss_before_load=rss_before, weights_bytes=weights, model_file_bytes=common.file_bytes(path, data),
        logits=logits, extra={"onnx_opset": OPSET, "ort_graph_optimization": "ORT_ENABLE_ALL"}), args.jsonl)


if __name__ == "__main__":
    main()
