#!/usr/bin/env bash
# Side-by-side CPU benchmarks: sdd4j, PyTorch and ONNX Runtime on the same model, the same input
# and the same thread count. Every run appends one sdd4j-bench/1 JSON record (benchmarks/README.md)
# to benchmarks/out/cpu-<time>.jsonl; the markdown table is printed and kept beside it.
#
# Settings (environment):
#   AASIST_REPO   checkout of github.com/clovaai/aasist               (default /work/peers/aasist)
#   SSL_REPO      checkout of github.com/TakHemlata/SSL_Anti-spoofing (default /work/peers/ssl_antispoofing)
#   SDD4J_SHARED  the shared folder with models/ and fixtures/         (default <repo>/../shared)
#   THREADS=2  WARMUP=3  ITERS=20  SSL_WARMUP=1  SSL_ITERS=5 (the 300M model takes seconds a pass)
#   MODELS="aasist ssl-aasist-300m"  BATCHES="1 8"  IMPLS="sdd4j torch onnxruntime"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peer="$root/benchmarks/peer"
out="${OUT:-$root/benchmarks/out}"
shared="${SDD4J_SHARED:-$root/../shared}"
aasist_repo="${AASIST_REPO:-/work/peers/aasist}"
ssl_repo="${SSL_REPO:-/work/peers/ssl_antispoofing}"
threads="${THREADS:-2}"
wav="$shared/fixtures/audio/espeak_1.wav"
ssl_checkpoint="$out/ssl_aasist_300m.pth"
mkdir -p "$out"
results="$out/cpu-$(date -u +%Y%m%dT%H%M%SZ).jsonl"

for dir in "$aasist_repo/models" "$ssl_repo" "$shared/models/aasist"; do
  [ -d "$dir" ] || { echo "run_cpu.sh: $dir not found (see benchmarks/README.md, 'Setup')" >&2; exit 2; }
done

has_impl() { [[ " ${IMPLS:-sdd4j torch onnxruntime} " == *" $1 "* ]]; }

if [[ " ${MODELS:-aasist ssl-aasist-300m} " == *" ssl-aasist-300m "* && ! -f "$ssl_checkpoint" ]]; then
  echo "== creating $ssl_checkpoint (random SSL-AASIST, XLS-R 300M size)" >&2
  python3 "$peer/make_ssl_aasist_300m.py" --ssl-repo "$ssl_repo" --out "$ssl_checkpoint" \
    --shared "$shared" --threads "$threads"
fi

for model in ${MODELS:-aasist ssl-aasist-300m}; do
  if [ "$model" = aasist ]; then
    checkpoint="$shared/models/aasist/AASIST.pth"; warmup="${WARMUP:-3}"; iters="${ITERS:-20}"
  else
    checkpoint="$ssl_checkpoint"; warmup="${SSL_WARMUP:-1}"; iters="${SSL_ITERS:-5}"
  fi
  for batch in ${BATCHES:-1 8}; do
    common=(--model "$model" --batch "$batch" --threads "$threads" --warmup "$warmup" --iters "$iters")
    peer_args=("${common[@]}" --shared "$shared" --wav "$wav" --aasist-repo "$aasist_repo"
               --ssl-repo "$ssl_repo" --ssl-checkpoint "$ssl_checkpoint" --jsonl "$results")
    echo "== $model batch $batch, $threads threads" >&2

    if has_impl sdd4j; then
      # >>> sdd4j harness (benchmarks/bench runs org.sdd4j.bench.ScoringBenchmark; it must append one sdd4j-bench/1
      # >>> record per run to --jsonl, fields as in benchmarks/README.md).
      "$root/benchmarks/bench" "${common[@]}" --checkpoint "$checkpoint" --wav "$wav" --jsonl "$results" \
        || echo "run_cpu.sh: sdd4j bench failed for $model batch $batch; continuing with the peers" >&2
    fi
    if has_impl torch; then
      python3 "$peer/torch_bench.py" "${peer_args[@]}" >/dev/null
    fi
    if has_impl onnxruntime; then
      python3 "$peer/onnx_bench.py" "${peer_args[@]}" >/dev/null
    fi
  done
done

python3 "$peer/report.py" "$results" | tee "${results%.jsonl}.md"
