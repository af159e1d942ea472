#!/usr/bin/env bash
# Compiles kernels/*.cu with the host C++ compiler into the kernel emulator (kernels/host/emulator.cpp), a
# shared library the engine's GPU tests run on where there is no GPU. Needs g++ (or $CXX), never nvcc or a GPU.
#
# Usage: kernels/build-host.sh OUTPUT_SO
# The engine's Maven build runs this in generate-test-resources (profile "host-kernel-emulator", active when
# /usr/bin/g++ exists). Skips the compile when the output is newer than every source.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: kernels/build-host.sh OUTPUT_SO}"
cxx="${CXX:-g++}"
command -v "$cxx" >/dev/null || { echo "kernels/build-host.sh: no C++ compiler ($cxx)" >&2; exit 1; }

if [ -f "$out" ] && [ -z "$(find "$here" \( -name '*.cu' -o -name '*.cuh' -o -name '*.cpp' -o -name '*.h' \
     -o -name build-host.sh \) -newer "$out" -print -quit)" ]; then
  echo "kernels: $out is up to date"
  exit 0
fi
mkdir -p "$(dirname "$out")"
# -ffp-contract=off: no FMA contraction, matching the _rn intrinsics' intent; -x c++: the .cu files are C++.
"$cxx" -std=c++20 -O2 -fPIC -shared -ffp-contract=off -Wall -Wno-unused-function \
  -o "$out.part" "$here/host/emulator.cpp"
mv "$out.part" "$out"
echo "kernels: built the host emulator $out with $("$cxx" --version | head -1)"
