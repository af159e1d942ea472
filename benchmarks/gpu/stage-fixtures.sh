#!/usr/bin/env bash
# Stages the mini SSL checkpoints the GPU tests read (CudaModelParityTest, CudaTrainingTest, CudaGraphTest) into the
# ignored folder .device-fixtures/, one subfolder each. The two minis (29 and 24 MB) do not fit beside .device (JDK,
# jars) and the working tree under the device tool's 64 MiB a call, so each travels in a call of its own to the same
# warm machine, which keeps what earlier calls brought (run.sh's header has the whole order):
#   run(command="ls -R .device-fixtures", carry=[".device-fixtures/ssl_aasist_mini"])
#   run(command="benchmarks/gpu/run.sh tests", carry=[".device-fixtures/antideepfake_mini"])
# With no argument, stages both.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(ssl_aasist_mini antideepfake_mini)
shared="${SDD4J_SHARED:-$root/../shared}"
for name in "${names[@]}"; do
  case "$name" in ssl_aasist_mini|antideepfake_mini) ;; *) echo "stage-fixtures.sh: unknown fixture $name" >&2; exit 2 ;; esac
  src="$shared/fixtures/reference/$name.pth"
  [ -f "$src" ] || { echo "stage-fixtures.sh: $src not found (set SDD4J_SHARED)" >&2; exit 1; }
  dir="$root/.device-fixtures/$name"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$src" "$shared/fixtures/reference/$name.json" "$dir/"
  echo "staged $(du -sh "$dir" | cut -f1) in .device-fixtures/$name"
done
