#!/usr/bin/env bash
# Scores the demo corpus's test splits with a detector and prints the ASVspoof metrics for each.
# Usage: models/sdd4j-demo/evaluate.sh [MODEL] [CORPUS]   (defaults: the shipped detector, ./corpus-demo)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="${1:-$root/models/sdd4j-demo/model.safetensors}"
corpus="$(cd "${2:-$root/corpus-demo}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for split in test_in_domain test_unseen; do
  # A plain list of absolute paths to score, and ASVspoof 5 keys for the same names.
  awk -F'\t' -v c="$corpus" '{print c "/" $1}' "$corpus/splits/$split.lst" > "$work/$split.txt"
  { printf 'filename\tcm-label\n'; awk -F'\t' -v c="$corpus" '{print c "/" $1 "\t" $2}' "$corpus/splits/$split.lst"; } \
    > "$work/$split.keys"
  "$root/tools/sdd4j" score --model "$model" --no-progress -o "$work/$split.scores" "$work/$split.txt" 2>/dev/null
  echo "== $split"
  "$root/tools/sdd4j" eval --scores "$work/$split.scores" --keys "$work/$split.keys" --threshold 0 2>/dev/null
done
