#!/usr/bin/env bash
# Stages one mini SSL checkpoint for the GPU parity test into the ignored folder .device-fixtures/ (it
# replaces what was there). The two minis (29 and 24 MB) do not fit beside .device (JDK, jars) under the
# device tool's 64 MiB carry limit, so each travels in a later call to the same warm machine, which keeps
# .device from the first call:
#   benchmarks/gpu/stage-fixtures.sh ssl_aasist_mini      then  run(command="benchmarks/gpu/run.sh parity",
#                                                                     carry=[".device-fixtures"])
#   benchmarks/gpu/stage-fixtures.sh antideepfake_mini    likewise
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
name="${1:?usage: stage-fixtures.sh ssl_aasist_mini|antideepfake_mini}"
case "$name" in ssl_aasist_mini|antideepfake_mini) ;; *) echo "stage-fixtures.sh: unknown fixture $name" >&2; exit 2 ;; esac
shared="${SDD4J_SHARED:-$root/../shared}"
src="$shared/fixtures/reference/$name.pth"
[ -f "$src" ] || { echo "stage-fixtures.sh: $src not found (set SDD4J_SHARED)" >&2; exit 1; }
rm -rf "$root/.device-fixtures" && mkdir -p "$root/.device-fixtures"
cp "$src" "$shared/fixtures/reference/$name.json" "$root/.device-fixtures/"
echo "staged $(du -sh "$root/.device-fixtures" | cut -f1) in .device-fixtures: $name"
