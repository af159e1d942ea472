#!/usr/bin/env bash
# The device half of the GPU run, in one call on the GPU machine (after benchmarks/gpu/prepare.sh here):
# unpacks the carried JDK, prints the GPU and the libraries sdd4j found, runs the GPU test suite
# (org.sdd4j.backend.cuda) and then the kernel benchmark. Logs go to $OUT when set (the device tool's
# folder that comes back), else benchmarks/out/.
#   device tool:  run(command="benchmarks/gpu/run.sh", carry=[".device"])
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dev="$root/.device"
out="${OUT:-$root/benchmarks/out}"
mkdir -p "$out"
[ -f "$dev/jdk.tgz" ] || { echo "run.sh: no $dev/jdk.tgz: run benchmarks/gpu/prepare.sh first and carry .device" >&2; exit 2; }

jdk="${TMPDIR:-/tmp}/sdd4j-jdk"
rm -rf "$jdk" && mkdir -p "$jdk" && tar -C "$jdk" -xzf "$dev/jdk.tgz"
java="$jdk/jdk/bin/java"
# cuDNN and cuBLASLt come from the Python environment's nvidia wheels: point the locator at its prefix.
if command -v python3 >/dev/null; then
  export VIRTUAL_ENV="${VIRTUAL_ENV:-$(python3 -c 'import sys; print(sys.prefix)')}"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee "$out/gpu.txt"

flags=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss8m -cp "$dev/classes:$dev/lib/*")
status=0
echo "== GPU tests"
"$java" "${flags[@]}" RunGpuTests org.sdd4j.backend.cuda 2>&1 | tee "$out/gpu-tests.log" \
  || status=1
echo "== GPU kernel benchmark"
"$java" "${flags[@]}" GpuKernelBench 2>&1 | tee "$out/gpu-bench.log" || status=1
exit $status
