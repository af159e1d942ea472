#!/usr/bin/env python3
"""Prints a markdown table of sdd4j-bench/1 records (benchmarks/README.md): one row per
(model, batch, threads, implementation) with median and p90 latency, throughput, the ratio of
each implementation's median to sdd4j's on the same configuration (on the GPU, sdd4j's at the same
matrix-product precision: reference_impl), and peak memory.

  python3 benchmarks/peer/report.py benchmarks/out/*.jsonl
"""
import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

IMPL_ORDER = {"sdd4j": 0, "torch": 1, "onnxruntime": 2}


def load(paths):
    """Records by configuration and implementation; a later record for the same key wins."""
    records = {}
    for path in paths:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f"{path}:{n}: not JSON ({e})")
                if rec.get("schema") != common.SCHEMA:
                    sys.exit(f"{path}:{n}: schema {rec.get('schema')!r}, expected {common.SCHEMA!r}")
                # Scoring records carry no "task"; training records ("sft-step") are a configuration of their own.
                key = (rec["model"], rec.get("task", "score"), rec["batch"], rec["threads"], rec.get("device", "cpu"),
                       rec["impl"])
                records[key] = rec
    return records


def reference_impl(impl: str) -> str:
    """The sdd4j record a row is compared with: the one of the same matrix-product precision on the GPU
    (torch-compile-tf32 against sdd4j-tf32, sdd4j-bf16 against itself), else float32 sdd4j."""
    for precision in ("tf32", "bf16"):
        if impl.endswith("-" + precision) or impl.startswith("sdd4j-" + precision):
            return "sdd4j-" + precision
    return "sdd4j"


def mib(b):
    if b is None:
        return "n/a"
    return f"{b / 2**20:.2f}" if b < 10 * 2**20 else f"{b / 2**20:.0f}"


def table(records) -> str:
    rows = ["| model | task | batch | threads | impl | median ms | p90 ms | clips/s | vs sdd4j | peak RSS MiB "
            "| weights MiB | iters | logits[0] |",
            "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    keys = sorted(records, key=lambda k: (k[:5], IMPL_ORDER.get(k[5], 9), k[5]))
    for key in keys:
        rec = records[key]
        ref = records.get(key[:5] + (reference_impl(key[5]),))
        ratio = "n/a" if ref is None else f"{rec['median_ms'] / ref['median_ms']:.2f}x"
        peak = rec.get("vm_hwm_bytes") or rec.get("peak_rss_bytes")
        first = ", ".join(f"{v:.4f}" for v in rec["logits"][0]) if rec.get("logits") else ""
        impl = rec["impl"] + ("" if rec.get("device", "cpu") == "cpu" else f" ({rec['device']})")
        rows.append(f"| {rec['model']} | {key[1]} | {rec['batch']} | {rec['threads']} | {impl} | {rec['median_ms']:.1f} "
                    f"| {rec['p90_ms']:.1f} | {rec['clips_per_s']:.2f} | {ratio} | {mib(peak)} "
                    f"| {mib(rec.get('weights_bytes'))} | {rec['iters']} | {first} |")
    return "\n".join(rows)


def cpu_table(records) -> str:
    """Process CPU time per step, for the records that carry it (the GRPO benchmark): steadier than wall time
    when the machine is shared, since waiting for a core does not count."""
    keys = sorted((k for k, r in records.items() if "cpu_median_ms" in r),
                  key=lambda k: (k[:5], IMPL_ORDER.get(k[5], 9), k[5]))
    if not keys:
        return ""
    rows = ["| model | task | batch | threads | impl | median CPU ms per step | CPU ms per step | vs sdd4j |",
            "|---|---|---:|---:|---|---:|---|---:|"]
    for key in keys:
        rec = records[key]
        ref = records.get(key[:5] + (reference_impl(key[5]),))
        ratio = "n/a" if ref is None or "cpu_median_ms" not in ref else \
            f"{rec['cpu_median_ms'] / ref['cpu_median_ms']:.2f}x"
        steps = ", ".join(f"{v:.0f}" for v in rec["cpu_times_ms"])
        rows.append(f"| {rec['model']} | {key[1]} | {rec['batch']} | {rec['threads']} | {rec['impl']} "
                    f"| {rec['cpu_median_ms']:.1f} | {steps} | {ratio} |")
    return "\n".join(rows)


def input_check(records) -> str:
    """Flags configurations where implementations were fed different inputs."""
    by_config = {}
    for key, rec in records.items():
        by_config.setdefault(key[:5], set()).add(rec["input"]["sha256"])
    bad = [k for k, v in by_config.items() if len(v) > 1]
    return "" if not bad else "\n**Input mismatch** (different input sha256) for: " + ", ".join(map(str, bad))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", help="JSON-lines files; default benchmarks/out/*.jsonl")
    args = p.parse_args()
    files = args.files or sorted(glob.glob(os.path.join(common.DEFAULT_OUT, "*.jsonl")))
    if not files:
        sys.exit("no result files (run benchmarks/run_cpu.sh first)")
    records = load(files)
    print(table(records))
    print("\n`vs sdd4j` = this implementation's median / sdd4j's median on the same configuration "
          "(on the GPU, at the same matrix-product precision; > 1: sdd4j is faster). Peak RSS is VmHWM of the benchmark process (whole process, "
          "runtime included).")
    cpu = cpu_table(records)
    if cpu:
        print("\n" + cpu)
    warning = input_check(records)
    if warning:
        print(warning)


if __name__ == "__main__":
    main()
