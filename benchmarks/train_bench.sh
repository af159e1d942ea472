#!/usr/bin/env bash
# One SFT step, sdd4j and PyTorch back to back per model: see step_bench.sh for what it does and its settings.
STEP_BENCH_NAME=train_bench.sh exec "$(dirname "${BASH_SOURCE[0]}")/step_bench.sh" sft "$@"
