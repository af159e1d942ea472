#!/usr/bin/env bash
# Side-by-side CPU training benchmark: one SFT step (train-mode forward, weighted cross-entropy,
# backward, Adam update) of sdd4j (org.sdd4j.bench.TrainStepBenchmark) and of PyTorch
# (peer/torch_train_bench.py) on the same model, input, labels, optimiser and thread count. For each
# model the two sides run back to back, so both see the same machine load. Every run appends one
# sdd4j-bench/1 record with "task": "sft-step" to benchmarks/out/train-<time>.jsonl; the markdown
# table of peer/report.py is printed and kept beside it.
#
# Settings (environment):
#   AASIST_REPO   checkout of github.com/clovaai/aasist               (default /work/peers/aasist)
#   SSL_REPO      checkout of github.com/TakHemlata/SSL_Anti-spoofing (default /work/peers/ssl_antispoofing)
#   SDD4J_SHARED  the shared folder with models/ and fixtures/         (default <repo>/../shared)
#   SSL_300M      the SSL-AASIST 300M checkpoint of peer/make_ssl_aasist_300m.py
#                 (default benchmarks/out/ssl_aasist_300m.pth; not created here)
#   THREADS=2  BATCH=8  WARMUP=1  ITERS=3  BIG_WARMUP=1  BIG_ITERS=1 (the 300M model)
#   MODELS="aasist-l ssl-aasist-mini ssl-aasist-300m"  IMPLS="sdd4j torch"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peer="$root/benchmarks/peer"
out="${OUT:-$root/benchmarks/out}"
shared="${SDD4J_SHARED:-$root/../shared}"
aasist_repo="${AASIST_REPO:-/work/peers/aasist}"
ssl_repo="${SSL_REPO:-/work/peers/ssl_antispoofing}"
ssl_300m="${SSL_300M:-$out/ssl_aasist_300m.pth}"
threads="${THREADS:-2}"
batch="${BATCH:-8}"
wav="$shared/fixtures/audio/espeak_1.wav"
mkdir -p "$out"
results="$out/train-$(date -u +%Y%m%dT%H%M%SZ).jsonl"

has_impl() { [[ " ${IMPLS:-sdd4j torch} " == *" $1 "* ]]; }

for model in ${MODELS:-aasist-l ssl-aasist-mini ssl-aasist-300m}; do
  warmup="${WARMUP:-1}"; iters="${ITERS:-3}"
  case "$model" in
    aasist-l) checkpoint="$shared/models/aasist/AASIST-L.pth" ;;
    ssl-aasist-mini) checkpoint="$shared/fixtures/reference/ssl_aasist_mini.pth" ;;
    ssl-aasist-300m) checkpoint="$ssl_300m"; warmup="${BIG_WARMUP:-1}"; iters="${BIG_ITERS:-1}" ;;
    *) echo "train_bench.sh: unknown model $model" >&2; exit 2 ;;
  esac
  [ -f "$checkpoint" ] || { echo "train_bench.sh: $checkpoint not found (see benchmarks/README.md)" >&2; exit 2; }
  common=(--model "$model" --batch "$batch" --threads "$threads" --warmup "$warmup" --iters "$iters")
  echo "== $model batch $batch, $threads threads, warmup $warmup, iters $iters" >&2
  if has_impl sdd4j; then
    SDD4J_BENCH_MAIN=org.sdd4j.bench.TrainStepBenchmark "$root/benchmarks/bench" "${common[@]}" \
      --checkpoint "$checkpoint" --wav "$wav" --jsonl "$results" >/dev/null \
      || echo "train_bench.sh: sdd4j failed for $model; continuing with the peer" >&2
  fi
  if has_impl torch; then
    ssl_args=()
    [ "$model" = aasist-l ] || ssl_args=(--ssl-checkpoint "$checkpoint")
    python3 "$peer/torch_train_bench.py" "${common[@]}" --shared "$shared" --wav "$wav" \
      --aasist-repo "$aasist_repo" --ssl-repo "$ssl_repo" "${ssl_args[@]}" --jsonl "$results" >/dev/null \
      || echo "train_bench.sh: torch failed for $model" >&2
  fi
done

python3 "$peer/report.py" "$results" | tee "${results%.jsonl}.md"
echo "records: $results" >&2
