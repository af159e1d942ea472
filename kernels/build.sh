#!/usr/bin/env bash
# Compiles sdd4j's CUDA kernels into one fatbin: machine code for sm_80 (Ampere) and sm_90 (Hopper) plus
# compute_90 PTX, which the driver JIT-compiles for newer GPUs. Needs nvcc, never a GPU.
#
# Usage: kernels/build.sh OUTPUT_FATBIN
#   nvcc is taken from $NVCC, else $CUDA_HOME/bin/nvcc, else /usr/local/cuda/bin/nvcc, else PATH.
# The engine's Maven build runs this (profile "cuda-kernels", active when nvcc exists) and packages the
# result as the class-path resource org/sdd4j/backend/cuda/sdd4j_kernels.fatbin. Skips the compile when the
# output is newer than every source.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: kernels/build.sh OUTPUT_FATBIN}"

nvcc="${NVCC:-}"
for candidate in "${CUDA_HOME:+$CUDA_HOME/bin/nvcc}" /usr/local/cuda/bin/nvcc "$(command -v nvcc || true)"; do
  [ -n "$nvcc" ] && break
  [ -n "$candidate" ] && [ -x "$candidate" ] && nvcc="$candidate"
done
[ -n "$nvcc" ] || { echo "kernels/build.sh: no nvcc (set NVCC or CUDA_HOME)" >&2; exit 1; }

if [ -f "$out" ] && [ -z "$(find "$here" \( -name '*.cu' -o -name '*.cuh' -o -name build.sh \) -newer "$out" -print -quit)" ]; then
  echo "kernels: $out is up to date"
  exit 0
fi
mkdir -p "$(dirname "$out")"
# -Xptxas -warn-spills: a spill to local memory in these memory-bound kernels is a bug worth seeing.
"$nvcc" -fatbin -O3 -std=c++17 -Xptxas -warn-spills \
  -gencode arch=compute_80,code=sm_80 \
  -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 \
  -o "$out.part" "$here/sdd4j_kernels.cu"
mv "$out.part" "$out"
echo "kernels: built $out ($(stat -c %s "$out") bytes) with $("$nvcc" --version | tail -1)"
