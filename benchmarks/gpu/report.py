#!/usr/bin/env python3
"""Markdown table of the GPU scoring records (sdd4j-bench/1 with device "cuda") for RESULTS.md: one row
per (model, batch, implementation) with median and p99 latency, throughput and each implementation's
median over sdd4j float32's ("sdd4j") on the same configuration, plus logits[0] so that precision
effects are visible beside the speed.

  python3 benchmarks/gpu/report.py benchmarks/out/gpu-scoring.jsonl
"""
import json
import math
import os
import sys

ORDER = {"sdd4j": 0, "sdd4j-tf32": 1}


def p99(times):
    s = sorted(times)
    return s[max(1, math.ceil(0.99 * len(s))) - 1]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    records = {}
    for path in sys.argv[1:]:
        if not os.path.exists(path):
            sys.exit(f"report.py: no records at {path}: run the bench and peer stages first")
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f"{path}:{n}: not JSON ({e})")
                if rec.get("schema") == "sdd4j-bench/1" and rec.get("device") == "cuda":
                    records[(rec["model"], rec["batch"], rec["impl"])] = rec
    if not records:
        sys.exit("no GPU records (device \"cuda\") in " + ", ".join(sys.argv[1:]))
    print("| model | batch | impl | median ms | p99 ms | clips/s | vs sdd4j | iters | logits[0] |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---|")
    for key in sorted(records, key=lambda k: (k[0], k[1], ORDER.get(k[2], 9), k[2])):
        rec = records[key]
        ref = records.get(key[:2] + ("sdd4j",))
        ratio = "n/a" if ref is None else f"{rec['median_ms'] / ref['median_ms']:.2f}x"
        first = ", ".join(f"{v:.4f}" for v in rec["logits"][0]) if rec.get("logits") else ""
        print(f"| {rec['model']} | {rec['batch']} | {rec['impl']} | {rec['median_ms']:.2f} | {p99(rec['times_ms']):.2f} "
              f"| {rec['clips_per_s']:.1f} | {ratio} | {rec['iters']} | {first} |")
    print("\n`vs sdd4j` = this median / sdd4j float32's median on the same model and batch (> 1: sdd4j is faster). "
          "Every pass includes the input upload and the logits download.")
    shas = {}
    for (model, batch, _), rec in records.items():
        shas.setdefault((model, batch), set()).add(rec["input"]["sha256"])
    bad = [k for k, v in shas.items() if len(v) > 1]
    if bad:
        print("\n**Input mismatch** (different input sha256) for: " + ", ".join(map(str, bad)))


if __name__ == "__main__":
    main()
