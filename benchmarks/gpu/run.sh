#!/usr/bin/env bash
# The device half of the GPU run, on the GPU machine (after benchmarks/gpu/prepare.sh here). Stages:
#   tests        the GPU test suite (package org.sdd4j.backend.cuda: every op against the reference,
#                CudaModelParityTest: AASIST, AASIST-L, mini SSL-AASIST, mini AntiDeepfake against PyTorch's logits,
#                and CudaTrainingTest: whole-model gradients against PyTorch, SFT and GRPO steps against the CPU)
#   kernels      the kernel bandwidth benchmark
#   bench        GPU scoring: sdd4j float32, TF32 and bf16 products (AASIST b1 and SSL-AASIST 300M b1, eager
#                and CUDA graph; SSL-AASIST 300M b64)
#   peer         the PyTorch peer on the same GPU (eager and torch.compile; fp32, TF32, bf16), same configurations;
#                its parts, one call each if need be: peer-eager, peer-compile
#   train        one SFT step and one GRPO step (G = 64) at batch 8 on the GPU, sdd4j (float32, TF32, bf16 products)
#                and PyTorch (eager and torch.compile; fp32, TF32, bf16 autocast), AASIST-L and SSL-AASIST 300M, each
#                side back to back, into gpu-train.jsonl. One call may not hold all of it (10 minutes a call): the
#                parts are the stages sft-aasist-l, sft-300m, grpo-aasist-l and grpo-300m
#   floors       each scored configuration's compute and memory floors (org.sdd4j.bench.FloorReport) from the
#                PEAK lines of the kernels stage's log (float32 and TF32 product throughput, copy bandwidth)
#   report       the side-by-side table (benchmarks/gpu/report.py) into gpu-scoring.md
# No stage given: tests kernels bench peer train floors report. Logs and records go to benchmarks/out/gpu/, which
# outlives a call on a warm device machine (records append, so later stages see earlier ones); when $OUT is set
# (the device tool's folder that comes back, empty at each call) the folder is copied there at the end.
# The device tool allows 10 minutes a call and sends the working tree plus what a call carries, 64 MiB at most; a
# warm machine keeps what earlier calls brought. So: here, benchmarks/gpu/prepare.sh and stage-fixtures.sh, then on
# one warm machine (given back after ~30 s idle: call back to back), tests first (they need both mini checkpoints,
# which travel in calls of their own):
#   1. run(command="benchmarks/gpu/run.sh kernels", carry=[".device"])
#   2. run(command="ls -R .device-fixtures", carry=[".device-fixtures/ssl_aasist_mini"])
#   3. run(command="benchmarks/gpu/run.sh tests", carry=[".device-fixtures/antideepfake_mini"])
#   4. "bench", 5. "peer-eager", 6. "peer-compile", 7. "sft-aasist-l sft-300m", 8. "grpo-aasist-l grpo-300m",
#   9. "floors report"
# Shared fixtures: $SDD4J_SHARED when set, else .device/shared (prepare.sh) with the minis of .device-fixtures/*/
# added, else ../shared; what is missing is named before the tests run. The 300M checkpoint is made here
# (benchmarks/peer/make_ssl_aasist_300m.py, random weights, 1.2 GB) into benchmarks/out/, never carried.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dev="$root/.device"
out="$root/benchmarks/out/gpu"
mkdir -p "$out" "$root/benchmarks/out"
[ -f "$dev/jdk.tgz" ] || { echo "run.sh: no $dev/jdk.tgz: run benchmarks/gpu/prepare.sh first and carry .device" >&2; exit 2; }
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(tests kernels bench peer train floors report)

jdk="${TMPDIR:-/tmp}/sdd4j-jdk"
[ -x "$jdk/jdk/bin/java" ] || { rm -rf "$jdk" && mkdir -p "$jdk" && tar -C "$jdk" -xzf "$dev/jdk.tgz"; }
java="$jdk/jdk/bin/java"
# cuDNN and cuBLASLt come from the Python environment's nvidia wheels: point the locator at its prefix.
if command -v python3 >/dev/null; then
  export VIRTUAL_ENV="${VIRTUAL_ENV:-$(python3 -c 'import sys; print(sys.prefix)')}"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee "$out/gpu.txt"

# One shared root for the tests: the carried small fixtures plus whichever mini checkpoint came along.
if [ -n "${SDD4J_SHARED:-}" ]; then
  shared="$SDD4J_SHARED"
elif [ -d "$dev/shared/fixtures" ]; then
  shared="${TMPDIR:-/tmp}/sdd4j-shared"
  rm -rf "$shared" && mkdir -p "$shared/fixtures/reference"
  ln -s "$dev/shared/models" "$shared/models"
  ln -s "$dev/shared/fixtures/audio" "$shared/fixtures/audio"
  for f in "$dev"/shared/fixtures/reference/* "$root"/.device-fixtures/*/*; do
    [ -e "$f" ] && ln -sf "$f" "$shared/fixtures/reference/"
  done
else
  shared="$root/../shared"
fi
echo "== shared fixtures: $shared"
for f in models/aasist/AASIST.pth models/aasist/AASIST-L.pth fixtures/audio/espeak_1.wav \
         fixtures/reference/expected_aasist_logits.json fixtures/reference/expected_logits.json \
         fixtures/reference/ssl_aasist_mini.pth fixtures/reference/antideepfake_mini.pth; do
  [ -e "$shared/$f" ] && echo "   present  $f" || echo "   MISSING  $f (the tests that read it fail; see stage-fixtures.sh)"
done

flags=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss8m -XX:+UseSerialGC
       "-Dsdd4j.shared=$shared" -cp "$dev/classes:$dev/lib/*")
wav="$shared/fixtures/audio/espeak_1.wav"
ckpt300m="$root/benchmarks/out/ssl_aasist_300m.pth"
records="$out/gpu-scoring.jsonl"
status=0

make_300m() {
  [ -f "$ckpt300m" ] && return 0
  echo "== making the random SSL-AASIST 300M checkpoint ($ckpt300m)"
  python3 "$root/benchmarks/peer/make_ssl_aasist_300m.py" --ssl-repo "$dev/peers/ssl_antispoofing" \
    --shared "$shared" --out "$ckpt300m" --threads 8
}

sdd4j_bench() { # model checkpoint batch precision iters [graphs]
  "$java" "${flags[@]}" -Xmx4g -Dsdd4j.backend=cuda "-Dsdd4j.cuda.precision=$4" "-Dsdd4j.cuda.graphs=${6:-false}" \
    org.sdd4j.bench.ScoringBenchmark \
    --model "$1" --checkpoint "$2" --batch "$3" --warmup 5 --iters "$5" --threads 1 --wav "$wav" --jsonl "$records"
}

peer_bench() { # model batch mode precision iters
  python3 "$root/benchmarks/peer/torch_gpu_bench.py" --model "$1" --batch "$2" --mode "$3" --precision "$4" \
    --warmup 5 --iters "$5" --shared "$shared" --aasist-repo "$dev/peers/aasist" \
    --ssl-repo "$dev/peers/ssl_antispoofing" --ssl-checkpoint "$ckpt300m" --jsonl "$records"
}

step_bench() { # sft|grpo model checkpoint: sdd4j in float32, TF32 and bf16, then the peer in each mode and precision
  local main=org.sdd4j.bench.TrainStepBenchmark peer=torch_train_bench.py group=()
  if [ "$1" = grpo ]; then main=org.sdd4j.bench.GrpoStepBenchmark; peer=torch_grpo_bench.py; group=(--group 64); fi
  for precision in float32 tf32 bf16; do
    "$java" "${flags[@]}" -Xmx16g -Dsdd4j.backend=cuda "-Dsdd4j.cuda.precision=$precision" "$main" --model "$2" \
      --checkpoint "$3" --batch 8 "${group[@]}" --warmup 2 --iters 5 --threads 1 --wav "$wav" \
      --jsonl "$out/gpu-train.jsonl" || status=1
  done
  for mode in eager compile; do
    for precision in fp32 tf32 bf16; do
      python3 "$root/benchmarks/peer/$peer" --device cuda --mode "$mode" --precision "$precision" --model "$2" \
        --batch 8 "${group[@]}" --warmup 2 --iters 5 --threads 1 --wav "$wav" --shared "$shared" \
        --aasist-repo "$dev/peers/aasist" --ssl-repo "$dev/peers/ssl_antispoofing" --ssl-checkpoint "$ckpt300m" \
        --jsonl "$out/gpu-train.jsonl" || status=1
    done
  done
}

for stage in "${stages[@]}"; do
  case "$stage" in
    tests)
      echo "== GPU tests"
      "$java" "${flags[@]}" RunGpuTests org.sdd4j.backend.cuda 2>&1 | tee "$out/gpu-tests.log"
      [ "${PIPESTATUS[0]}" -eq 0 ] || status=1 ;;
    kernels)
      echo "== GPU kernel benchmark"
      "$java" "${flags[@]}" GpuKernelBench 2>&1 | tee "$out/gpu-bench.log" || status=1 ;;
    bench)
      echo "== sdd4j GPU scoring"
      make_300m || { echo "run.sh: could not make the 300M checkpoint" >&2; status=1; continue; }
      for precision in float32 tf32 bf16; do
        for graphs in false true; do # batch 1: eager launches, then a replayed CUDA graph
          sdd4j_bench aasist "$shared/models/aasist/AASIST.pth" 1 "$precision" 100 "$graphs" || status=1
          sdd4j_bench ssl-aasist-300m "$ckpt300m" 1 "$precision" 100 "$graphs" || status=1
        done
        sdd4j_bench ssl-aasist-300m "$ckpt300m" 64 "$precision" 10 || status=1
      done 2>&1 | tee "$out/gpu-scoring-sdd4j.log" ;;
    peer|peer-eager|peer-compile)
      echo "== PyTorch GPU peer ($stage)"
      make_300m || { echo "run.sh: could not make the 300M checkpoint" >&2; status=1; continue; }
      modes=(eager compile)
      [ "$stage" = peer ] || modes=("${stage#peer-}")
      for mode in "${modes[@]}"; do
        for precision in fp32 tf32 bf16; do
          peer_bench aasist 1 "$mode" "$precision" 100 || status=1
          peer_bench ssl-aasist-300m 1 "$mode" "$precision" 100 || status=1
          peer_bench ssl-aasist-300m 64 "$mode" "$precision" 10 || status=1
        done
      done 2>&1 | tee -a "$out/gpu-scoring-peer.log" ;;
    floors)
      echo "== floors"
      bw="$(awk '/^PEAK copy bandwidth/ { print $NF }' "$out/gpu-bench.log" 2>/dev/null)"
      fp32="$(awk '/^PEAK gemm float32/ { print $(NF - 1) }' "$out/gpu-bench.log" 2>/dev/null)"
      tf32="$(awk '/^PEAK gemm tf32/ { print $(NF - 1) }' "$out/gpu-bench.log" 2>/dev/null)"
      bf16="$(awk '/^PEAK gemm bf16/ { print $(NF - 1) }' "$out/gpu-bench.log" 2>/dev/null)"
      if [ -z "$bw" ] || [ -z "$fp32" ] || [ -z "$tf32" ] || [ -z "$bf16" ]; then
        echo "run.sh: no PEAK lines in $out/gpu-bench.log: run the kernels stage first" >&2; status=1; continue
      fi
      make_300m || { echo "run.sh: could not make the 300M checkpoint" >&2; status=1; continue; }
      for tflops in "$fp32" "$tf32" "$bf16"; do
        for spec in "aasist $shared/models/aasist/AASIST.pth 1" "ssl-aasist-300m $ckpt300m 1" \
                    "ssl-aasist-300m $ckpt300m 64"; do
          set -- $spec
          "$java" "${flags[@]}" -Xmx64g org.sdd4j.bench.FloorReport --model "$1" --checkpoint "$2" --batch "$3" \
            --tflops "$tflops" --bandwidth-gbs "$bw" --jsonl "$out/gpu-floors.jsonl" || status=1
        done
      done 2>&1 | tee "$out/gpu-floors.log" ;;
    train|sft-aasist-l|sft-300m|grpo-aasist-l|grpo-300m)
      echo "== training steps on the GPU ($stage)"
      make_300m || { echo "run.sh: could not make the 300M checkpoint" >&2; status=1; continue; }
      steps=("$stage")
      [ "$stage" = train ] && steps=(sft-aasist-l sft-300m grpo-aasist-l grpo-300m)
      for step in "${steps[@]}"; do
        case "$step" in
          *-aasist-l) step_bench "${step%%-*}" aasist-l "$shared/models/aasist/AASIST-L.pth" ;;
          *-300m)     step_bench "${step%%-*}" ssl-aasist-300m "$ckpt300m" ;;
        esac
      done 2>&1 | tee -a "$out/gpu-train.log" ;;
    report)
      python3 "$root/benchmarks/gpu/report.py" "$records" | tee "$out/gpu-scoring.md" || status=1
      [ -f "$out/gpu-train.jsonl" ] && { python3 "$root/benchmarks/peer/report.py" "$out/gpu-train.jsonl" \
        | tee "$out/gpu-train.md" || status=1; } ;;
    *)
      echo "run.sh: unknown stage $stage (tests, kernels, bench, peer or its parts, train or its parts, floors, report)" >&2; exit 2 ;;
  esac
done
if [ -n "${OUT:-}" ]; then cp -a "$out"/. "$OUT"/ || status=1; fi
exit $status
