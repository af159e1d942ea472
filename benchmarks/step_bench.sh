#!/usr/bin/env bash
# Side-by-side CPU training-step benchmark, sdd4j against PyTorch on the same model, input, labels, optimiser and
# thread count. Usage: benchmarks/step_bench.sh sft|grpo (train_bench.sh and grpo_bench.sh call it).
#   sft   one SFT step: train-mode forward, weighted cross-entropy, backward, Adam update
#         (org.sdd4j.bench.TrainStepBenchmark against peer/torch_train_bench.py)
#   grpo  one GRPO step: old and reference passes without gradients, the policy pass, G labels sampled per
#         utterance, clipped-ratio loss with k3 KL, backward, clipping at 100, AdamW
#         (org.sdd4j.bench.GrpoStepBenchmark against peer/torch_grpo_bench.py, written from DESIGN.md section 4)
# For each model the two sides run back to back, never at once, so both see the same machine load; `uptime` is
# logged before and after each side. Every run appends one sdd4j-bench/1 record per side ("task": "sft-step" or
# "grpo-step") to benchmarks/out/<task>-<time>.jsonl; the markdown table of peer/report.py is printed and kept
# beside it.
#
# The 300M step holds policy, gradients and Adam moments (~5 GB; GRPO adds two frozen copies) plus activations,
# so before each of its sides the script waits (polling every 60 s, up to MEM_WAIT_MIN minutes) until
# MemAvailable is at least MIN_AVAILABLE_GB; it gives up on that side when the memory does not come.
#
# Settings (environment):
#   AASIST_REPO   checkout of github.com/clovaai/aasist               (default /work/peers/aasist)
#   SSL_REPO      checkout of github.com/TakHemlata/SSL_Anti-spoofing (default /work/peers/ssl_antispoofing)
#   SDD4J_SHARED  the shared folder with models/ and fixtures/         (default <repo>/../shared)
#   SSL_300M      the SSL-AASIST 300M checkpoint of peer/make_ssl_aasist_300m.py
#                 (default benchmarks/out/ssl_aasist_300m.pth; not created here)
#   THREADS=2  BATCH=8  WARMUP=1  ITERS=3  BIG_WARMUP=1  BIG_ITERS=1 (sft) or 2 (grpo), the 300M model
#   GROUP=64 (grpo: samples per utterance)
#   MIN_AVAILABLE_GB=15  MEM_WAIT_MIN=30 (the 300M model only)
#   MODELS  default "aasist-l ssl-aasist-mini ssl-aasist-300m" (sft), "ssl-aasist-mini ssl-aasist-300m" (grpo)
#   IMPLS="sdd4j torch" (run in that order: "torch sdd4j" swaps them)
#   SDD4J_JAVA_OPTS  extra JVM options for sdd4j's side (e.g. -Dsdd4j.profile=true for per-op backend time)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
me="${STEP_BENCH_NAME:-step_bench.sh}"
task="${1:-}"
case "$task" in
  sft) bench_main=org.sdd4j.bench.TrainStepBenchmark; peer_script=torch_train_bench.py; prefix=train
       models="${MODELS:-aasist-l ssl-aasist-mini ssl-aasist-300m}"; big_iters="${BIG_ITERS:-1}"; group_args=() ;;
  grpo) bench_main=org.sdd4j.bench.GrpoStepBenchmark; peer_script=torch_grpo_bench.py; prefix=grpo
        models="${MODELS:-ssl-aasist-mini ssl-aasist-300m}"; big_iters="${BIG_ITERS:-2}"
        group_args=(--group "${GROUP:-64}") ;;
  *) sed -n '2,3p' "$0" >&2; exit 2 ;;
esac
peer="$root/benchmarks/peer"
out="${OUT:-$root/benchmarks/out}"
shared="${SDD4J_SHARED:-$root/../shared}"
aasist_repo="${AASIST_REPO:-/work/peers/aasist}"
ssl_repo="${SSL_REPO:-/work/peers/ssl_antispoofing}"
ssl_300m="${SSL_300M:-$out/ssl_aasist_300m.pth}"
threads="${THREADS:-2}"
batch="${BATCH:-8}"
min_gb="${MIN_AVAILABLE_GB:-15}"
wait_min="${MEM_WAIT_MIN:-30}"
wav="$shared/fixtures/audio/espeak_1.wav"
mkdir -p "$out"
results="$out/$prefix-$(date -u +%Y%m%dT%H%M%SZ).jsonl"

say() { echo "$me: $*" >&2; }

# Waits until MemAvailable >= min_gb GiB; false when it did not happen within wait_min minutes.
wait_for_memory() {
  local waited=0 avail
  while :; do
    avail=$(awk '/^MemAvailable:/ { printf "%d", $2 / 1048576 }' /proc/meminfo)
    if [ "$avail" -ge "$min_gb" ]; then
      say "$avail GiB available (need $min_gb)"
      return 0
    fi
    if [ "$waited" -ge "$wait_min" ]; then
      say "only $avail GiB available after $wait_min min (need $min_gb)"
      return 1
    fi
    say "$avail GiB available, waiting for $min_gb ($waited/$wait_min min)"
    sleep 60
    waited=$((waited + 1))
  done
}

for model in $models; do
  warmup="${WARMUP:-1}"; iters="${ITERS:-3}"; big=0
  case "$model" in
    aasist-l) checkpoint="$shared/models/aasist/AASIST-L.pth" ;;
    ssl-aasist-mini) checkpoint="$shared/fixtures/reference/ssl_aasist_mini.pth" ;;
    ssl-aasist-300m) checkpoint="$ssl_300m"; warmup="${BIG_WARMUP:-1}"; iters="$big_iters"; big=1 ;;
    *) say "unknown model $model"; exit 2 ;;
  esac
  [ -f "$checkpoint" ] || { say "$checkpoint not found (see benchmarks/README.md)"; exit 2; }
  common=(--model "$model" --batch "$batch" "${group_args[@]}" --threads "$threads" --warmup "$warmup"
          --iters "$iters")
  say "== $task $model batch $batch, $threads threads, warmup $warmup, iters $iters"
  for impl in ${IMPLS:-sdd4j torch}; do
    if [ "$big" = 1 ] && ! wait_for_memory; then
      continue
    fi
    say "before $impl $model: $(uptime)"
    case "$impl" in
      sdd4j)
        SDD4J_BENCH_MAIN="$bench_main" "$root/benchmarks/bench" "${common[@]}" \
          --checkpoint "$checkpoint" --wav "$wav" --jsonl "$results" >/dev/null \
          || say "sdd4j failed for $model" ;;
      torch)
        ssl_args=()
        [ "$model" = aasist-l ] || ssl_args=(--ssl-checkpoint "$checkpoint")
        python3 "$peer/$peer_script" "${common[@]}" --shared "$shared" --wav "$wav" \
          --aasist-repo "$aasist_repo" --ssl-repo "$ssl_repo" "${ssl_args[@]}" --jsonl "$results" >/dev/null \
          || say "torch failed for $model" ;;
      *) say "unknown implementation $impl"; exit 2 ;;
    esac
    say "after $impl $model: $(uptime)"
  done
done

[ -s "$results" ] || { say "no records in $results"; exit 1; }
python3 "$peer/report.py" "$results" | tee "${results%.jsonl}.md"
say "records: $results"
