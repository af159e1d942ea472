#!/usr/bin/env bash
# Side-by-side CPU GRPO benchmark: one GRPO step (old and reference passes without gradients, the policy pass,
# G labels sampled per utterance, clipped-ratio loss with k3 KL, backward, clipping at 100, AdamW) of sdd4j
# (org.sdd4j.bench.GrpoStepBenchmark) and of PyTorch (peer/torch_grpo_bench.py) on the same model, input, labels,
# G, optimiser and thread count. For each model the two sides run back to back, never at once, so both see the
# same machine load; `uptime` is logged before and after each side. Every run appends one sdd4j-bench/1 record
# with "task": "grpo-step" to benchmarks/out/grpo-<time>.jsonl; the markdown table of peer/report.py is printed
# and kept beside it.
#
# The 300M step holds policy, gradients, Adam moments and two frozen copies (~6 GB) plus activations, so before
# each of its sides the script waits (polling every 60 s, up to MEM_WAIT_MIN minutes) until MemAvailable is at
# least MIN_AVAILABLE_GB; it gives up on that side when the memory does not come.
#
# Settings (environment):
#   AASIST_REPO   checkout of github.com/clovaai/aasist               (default /work/peers/aasist)
#   SSL_REPO      checkout of github.com/TakHemlata/SSL_Anti-spoofing (default /work/peers/ssl_antispoofing)
#   SDD4J_SHARED  the shared folder with models/ and fixtures/         (default <repo>/../shared)
#   SSL_300M      the SSL-AASIST 300M checkpoint of peer/make_ssl_aasist_300m.py
#                 (default benchmarks/out/ssl_aasist_300m.pth; not created here)
#   THREADS=2  BATCH=8  GROUP=64  WARMUP=1  ITERS=3  BIG_WARMUP=1  BIG_ITERS=2 (the 300M model)
#   MIN_AVAILABLE_GB=15  MEM_WAIT_MIN=30 (the 300M model only)
#   MODELS="ssl-aasist-mini ssl-aasist-300m"  IMPLS="sdd4j torch" (run in that order: "torch sdd4j" swaps them)
#   SDD4J_JAVA_OPTS  extra JVM options for sdd4j's side (e.g. -Dsdd4j.profile=true for per-op backend time)
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
group="${GROUP:-64}"
min_gb="${MIN_AVAILABLE_GB:-15}"
wait_min="${MEM_WAIT_MIN:-30}"
wav="$shared/fixtures/audio/espeak_1.wav"
mkdir -p "$out"
results="$out/grpo-$(date -u +%Y%m%dT%H%M%SZ).jsonl"

log_load() { echo "grpo_bench.sh: $1: $(uptime)" >&2; }

# Waits until MemAvailable >= min_gb GiB; false when it did not happen within wait_min minutes.
wait_for_memory() {
  local waited=0 avail
  while :; do
    avail=$(awk '/^MemAvailable:/ { printf "%d", $2 / 1048576 }' /proc/meminfo)
    if [ "$avail" -ge "$min_gb" ]; then
      echo "grpo_bench.sh: $avail GiB available (need $min_gb)" >&2
      return 0
    fi
    if [ "$waited" -ge "$wait_min" ]; then
      echo "grpo_bench.sh: only $avail GiB available after $wait_min min (need $min_gb)" >&2
      return 1
    fi
    echo "grpo_bench.sh: $avail GiB available, waiting for $min_gb ($waited/$wait_min min)" >&2
    sleep 60
    waited=$((waited + 1))
  done
}

for model in ${MODELS:-ssl-aasist-mini ssl-aasist-300m}; do
  warmup="${WARMUP:-1}"; iters="${ITERS:-3}"; big=0
  case "$model" in
    aasist-l) checkpoint="$shared/models/aasist/AASIST-L.pth" ;;
    ssl-aasist-mini) checkpoint="$shared/fixtures/reference/ssl_aasist_mini.pth" ;;
    ssl-aasist-300m) checkpoint="$ssl_300m"; warmup="${BIG_WARMUP:-1}"; iters="${BIG_ITERS:-2}"; big=1 ;;
    *) echo "grpo_bench.sh: unknown model $model" >&2; exit 2 ;;
  esac
  [ -f "$checkpoint" ] || { echo "grpo_bench.sh: $checkpoint not found (see benchmarks/README.md)" >&2; exit 2; }
  common=(--model "$model" --batch "$batch" --group "$group" --threads "$threads" --warmup "$warmup" --iters "$iters")
  echo "== $model batch $batch, G $group, $threads threads, warmup $warmup, iters $iters" >&2
  for impl in ${IMPLS:-sdd4j torch}; do
    if [ "$big" = 1 ] && ! wait_for_memory; then
      continue
    fi
    log_load "before $impl $model"
    case "$impl" in
      sdd4j)
        SDD4J_BENCH_MAIN=org.sdd4j.bench.GrpoStepBenchmark "$root/benchmarks/bench" "${common[@]}" \
          --checkpoint "$checkpoint" --wav "$wav" --jsonl "$results" >/dev/null \
          || echo "grpo_bench.sh: sdd4j failed for $model" >&2 ;;
      torch)
        ssl_args=()
        [ "$model" = aasist-l ] || ssl_args=(--ssl-checkpoint "$checkpoint")
        python3 "$peer/torch_grpo_bench.py" "${common[@]}" --shared "$shared" --wav "$wav" \
          --aasist-repo "$aasist_repo" --ssl-repo "$ssl_repo" "${ssl_args[@]}" --jsonl "$results" >/dev/null \
          || echo "grpo_bench.sh: torch failed for $model" >&2 ;;
      *) echo "grpo_bench.sh: unknown implementation $impl" >&2; exit 2 ;;
    esac
    log_load "after $impl $model"
  done
done

[ -s "$results" ] || { echo "grpo_bench.sh: no records in $results" >&2; exit 1; }
python3 "$peer/report.py" "$results" | tee "${results%.jsonl}.md"
echo "records: $results" >&2
