#!/usr/bin/env bash
# The GRPO reproduction (arXiv 2603.02914, in spirit) on the demo corpus: start from one SFT-trained detector and
# fine-tune it with SFT, GRPO, SFT -> GRPO and GRPO without negative reward, each for the same number of steps and
# seeds, then score the in-domain test set, the unseen-generator test set and a channel-shifted copy of the
# in-domain set (Speex 8 kbit/s narrowband, a codec the corpus's channel chain never applies), and summarise.
#
# Usage: benchmarks/grpo/run.sh BASE_MODEL CORPUS OUT [STEPS] [SEEDS] [LR]
#   BASE_MODEL  an AASIST-family model.safetensors with its config.json beside it (e.g. models/sdd4j-demo)
#   CORPUS      the corpus it was trained on (built by `sdd4j corpus build`)
#   OUT         results folder: OUT/report.md, OUT/plots/det_*.svg|png, and every run's log and scores
#   STEPS       optimiser steps per fine-tuning run (default 30; SFT -> GRPO spends half on each)
#   SEEDS       comma-separated seeds (default 1,2,3)
#   LR          AdamW learning rate of every method (default 1e-4)
# BATCH=N (environment) sets the batch size of every run (default 8).
# MAX_TEST=N (environment) keeps at most N/2 bona fide and N/2 spoofed clips of each test list, spread evenly
# over the list. Each fine-tuned model is also compared with the start by `sdd4j drift` on a probe set of
# DRIFT_PROBE (default 120) unseen-generator clips, half of each class, spread the same way.
# Needs ffmpeg with libspeex for the channel-shifted set. Re-running skips finished work.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ $# -ge 3 ] || { sed -n '2,14p' "$0" >&2; exit 1; }
base="$(realpath "$1")"
corpus="$(realpath "$2")"
mkdir -p "$3"
out="$(realpath "$3")"
steps="${4:-30}"
seeds="${5:-1,2,3}"
lr="${6:-1.0e-4}"
methods="sft,grpo,sft_grpo,grpo_no_neg"
splits="test_in_domain,test_unseen,test_channel"
sdd4j="$root/tools/sdd4j"
base_config="$(dirname "$base")/config.json"
crop="$(grep -o '"nb_samp" *: *[0-9]*' "$base_config" | grep -o '[0-9]*$')"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Test lists (absolute paths) and ASVspoof 5 keys for the same names.
mkdir -p "$out/lists" "$out/keys" "$out/channel"
subset() { # LIST [MAX]: the list itself, or an even spread of at most MAX/2 clips per class (MAX: $MAX_TEST)
  local max="${2:-${MAX_TEST:-}}"
  if [ -z "$max" ]; then cat "$1"; return; fi
  for label in bonafide spoof; do
    awk -F'\t' -v l="$label" -v m=$(( max / 2 )) '$2 == l { a[++n] = $0 }
      END { s = n / m; if (s < 1) s = 1; for (i = 1; i <= n && k < m; i += s) { print a[int(i)]; k++ } }' "$1"
  done
}
subset "$corpus/splits/test_in_domain.lst" > "$out/lists/test_in_domain.lst"
subset "$corpus/splits/test_unseen.lst" > "$out/lists/test_unseen.lst"
for split in test_in_domain test_unseen; do
  awk -F'\t' -v c="$corpus" '{print c "/" $1}' "$out/lists/$split.lst" > "$out/lists/$split.txt"
  { printf 'filename\tcm-label\n'; awk -F'\t' -v c="$corpus" '{print c "/" $1 "\t" $2}' "$out/lists/$split.lst"; } \
    > "$out/keys/$split.keys"
done
subset "$corpus/splits/test_unseen.lst" "${DRIFT_PROBE:-120}" | awk -F'\t' -v c="$corpus" '{print c "/" $1}' \
  > "$out/lists/drift_probe.txt"
if [ ! -s "$out/keys/test_channel.keys" ]; then
  log "making the channel-shifted set (Speex 8 kbit/s narrowband)"
  printf 'filename\tcm-label\n' > "$out/keys/test_channel.keys.tmp"
  : > "$out/lists/test_channel.txt"
  while IFS=$'\t' read -r path label; do
    name="$(echo "$path" | tr '/' '_')"
    dst="$out/channel/${name%.*}.wav"
    ffmpeg -nostdin -v error -y -i "$corpus/$path" -ar 8000 -ac 1 -c:a libspeex -b:a 8k -f ogg "$out/channel/tmp.ogg"
    ffmpeg -nostdin -v error -y -i "$out/channel/tmp.ogg" -ar 16000 -ac 1 -c:a pcm_s16le "$dst"
    printf '%s\t%s\n' "$dst" "$label" >> "$out/keys/test_channel.keys.tmp"
    echo "$dst" >> "$out/lists/test_channel.txt"
  done < "$out/lists/test_in_domain.lst"
  rm -f "$out/channel/tmp.ogg"
  mv "$out/keys/test_channel.keys.tmp" "$out/keys/test_channel.keys"
fi

score() { # RUN_DIR MODEL: scores every test split with MODEL into RUN_DIR/scores
  mkdir -p "$1/scores"
  for split in ${splits//,/ }; do
    [ -s "$1/scores/$split.scores" ] && continue
    "$sdd4j" score --model "$2" --threads 2 --batch 8 --no-progress -o "$1/scores/$split.scores.tmp" \
      "$out/lists/$split.txt" 2> "$1/scores/$split.err" || [ $? -eq 2 ]   # 2: some files skipped (reported)
    mv "$1/scores/$split.scores.tmp" "$1/scores/$split.scores"
  done
}

# One fine-tuning recipe for every method: AdamW, constant LR, clip 100, RawBoost 5, balanced batches.
config() { # METHOD SEED DIR
  local method="$1" seed="$2" dir="$3" half=$(( steps / 2 ))
  cat <<EOF
model: { family: aasist, config: $base_config, init: $base }
data: { train: { format: list, protocol: $corpus/splits/train.lst, root: $corpus } }
augmentation: { rawboost: 5 }
optimizer: { name: adamw, lr: $lr, weight_decay: 0.01, eps: 1.0e-6, clip_norm: 100 }
schedule: { name: constant }
class_weights: [0.5, 0.5]
batch_size: ${BATCH:-8}
epochs: 1000
sampler: balanced
crop: $crop
seed: $seed
threads: 2
workers: 1
checkpoint_every: 10
output: $dir/run
EOF
  # GRPO options shared by the GRPO methods: G 64, eps 0.2, beta 0.04; the old policy refreshed every 10 steps
  # (the reference's 1000 is longer than these runs).
  local grpo="grpo: { group_size: 64, clip_eps: 0.2, kl_weight: 0.04, old_policy_refresh: 10"
  case "$method" in
    sft) echo "method: sft"; echo "max_steps: $steps" ;;
    grpo) echo "method: grpo"; echo "$grpo, variant: grpo }"; echo "max_steps: $steps" ;;
    grpo_no_neg) echo "method: grpo"; echo "$grpo, variant: reinforce }"; echo "max_steps: $steps" ;;
    sft_grpo) cat <<EOF
stages:
  - { name: sft, method: sft, max_steps: $half }
  - { name: grpo, method: grpo, max_steps: $(( steps - half )), $grpo, variant: grpo } }
EOF
    ;;
  esac
}

log "scoring the starting detector"
score "$out/base" "$base"
# Seed by seed, so that an interrupted run still has every method for the seeds it finished.
for seed in ${seeds//,/ }; do
  for method in ${methods//,/ }; do
    dir="$out/$method/seed$seed"
    mkdir -p "$dir"
    if [ ! -s "$dir/final" ]; then
      config "$method" "$seed" "$dir" > "$dir/train.yaml"
      log "training $method seed $seed ($steps steps)"
      resume=""
      [ -d "$dir/run" ] && resume="--resume"
      "$sdd4j" train --config "$dir/train.yaml" $resume > "$dir/train.log" 2>&1
      # The final weights: the last stage's last checkpoint.
      checkpoints="$dir/run/checkpoints"
      [ "$method" = sft_grpo ] && checkpoints="$dir/run/grpo/checkpoints"
      last="$(ls -d "$checkpoints"/step-* | sort | tail -1)"
      echo "$last/model.safetensors" > "$dir/final"
    fi
    log "scoring $method seed $seed"
    score "$dir" "$(cat "$dir/final")"
    if [ ! -s "$dir/drift.json" ]; then
      "$sdd4j" drift --from "$base" --to "$(cat "$dir/final")" --data "$out/lists/drift_probe.txt" --threads 2 \
        --format json --out "$dir/drift" > "$dir/drift.json.tmp" 2> "$dir/drift.err"
      mv "$dir/drift.json.tmp" "$dir/drift.json"
    fi
  done
done
SDD4J_BENCH_MAIN=org.sdd4j.bench.GrpoReproductionReport "$root/benchmarks/bench" "$out" "$methods" "$seeds" "$splits"
