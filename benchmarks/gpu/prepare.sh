#!/usr/bin/env bash
# The local half of the GPU run: fills the ignored folder .device/ with everything benchmarks/gpu/run.sh
# needs on the GPU machine, which has no JDK, no Maven and no network:
#   .device/jdk.tgz      a jlink'ed JDK 25 runtime (java.base, jdk.incubator.vector, java.logging, jdk.zipfs for JUnit's jar scanning, and the
#                        few modules JUnit and Jackson touch), --strip-debug --compress zip-9
#   .device/lib/*.jar    sdd4j's jars (with the kernels fatbin), their runtime and JUnit dependencies, the
#                        engine's test classes; NOT the CPU-only native jars (oneDNN 28 MB), which the GPU
#                        tests and benchmarks never load
#   .device/classes/     the test launcher and the kernel benchmark, compiled here
#   .device/shared/      the small shared fixtures the GPU parity test and benchmarks read (official AASIST and
#                        AASIST-L weights and configs, the 14 clips, the expected-logit JSONs: ~3 MiB) from
#                        $SDD4J_SHARED or ../shared; the mini SSL checkpoints (29 + 24 MB) do not fit beside
#                        the JDK and are staged one per call by benchmarks/gpu/stage-fixtures.sh
#   .device/peers/       the reference model code the PyTorch GPU peer imports (clovaai/aasist models/AASIST.py
#                        and config/AASIST.conf, SSL_Anti-spoofing model.py) from /work/peers when present
# Needs nvcc here (the fatbin is built by the engine's cuda-kernels profile). Checks the 64 MiB carry limit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$root/tools/lib/find-jdk.sh"
sdd4j_find_jdk
jdk="$SDD4J_JAVA_HOME"
dev="$root/.device"

rm -rf "$dev"
mkdir -p "$dev/lib" "$dev/classes"
# One reactor run: package, then the engine's test class path (the engine module writes the file last).
"$root/tools/mvn" -q -DskipTests -pl engine -am package dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$dev/classpath.txt"
# The benchmarks (org.sdd4j.bench.*) live in the benchmarks module: its jar is the one more taken from this run.
"$root/tools/mvn" -q -o -DskipTests -pl benchmarks -am package  # -am: the engine comes from this reactor, not ~/.m2
jar -tf "$root"/engine/target/sdd4j-engine-*.jar | grep -q 'sdd4j_kernels.fatbin' \
  || { echo "prepare.sh: the engine jar has no kernels fatbin (no nvcc here?)" >&2; exit 1; }

cp "$root"/native-bindings/target/sdd4j-native-bindings-*.jar "$root"/engine/target/sdd4j-engine-*.jar \
  "$root"/benchmarks/target/sdd4j-benchmarks-*.jar "$dev/lib/"
(cd "$root/engine/target/test-classes" && "$jdk/bin/jar" cf "$dev/lib/sdd4j-engine-tests.jar" .)
tr ':' '\n' < "$dev/classpath.txt" | grep -v -e '/org/bytedeco/' -e '/sdd4j-' | while read -r j; do
  [ -f "$j" ] && cp "$j" "$dev/lib/"
done
# junit-platform-launcher drives the tests without Maven; the engine's test scope lacks it, so copy it too.
platform="$(basename "$(ls "$dev"/lib/junit-platform-engine-*.jar)" .jar)"; platform="${platform#junit-platform-engine-}"
launcher="$(ls ~/.m2/repository/org/junit/platform/junit-platform-launcher/"$platform"/junit-platform-launcher-"$platform".jar \
  | grep -v sources | sort -V | tail -1)"
cp "$launcher" "$dev/lib/"
rm -f "$dev/classpath.txt"
if ! javac_out="$("$jdk/bin/javac" -d "$dev/classes" --add-modules jdk.incubator.vector -cp "$dev/lib/*" \
    "$root/benchmarks/gpu/RunGpuTests.java" "$root/benchmarks/gpu/GpuKernelBench.java" 2>&1)"; then
  echo "$javac_out" >&2
  echo "prepare.sh: the GPU launcher and kernel benchmark do not compile" >&2
  exit 1
fi

shared="${SDD4J_SHARED:-$root/../shared}"
if [ -d "$shared/fixtures" ]; then
  mkdir -p "$dev/shared/models/aasist" "$dev/shared/fixtures/reference"
  cp "$shared"/models/aasist/AASIST.pth "$shared"/models/aasist/AASIST-L.pth "$shared"/models/aasist/*.conf \
    "$dev/shared/models/aasist/"
  cp -r "$shared/fixtures/audio" "$dev/shared/fixtures/"
  cp "$shared"/fixtures/reference/*.json "$dev/shared/fixtures/reference/"
else
  echo "prepare.sh: no shared fixtures at $shared (set SDD4J_SHARED): the GPU parity test will be skipped" >&2
fi
peers="${SDD4J_PEERS:-/work/peers}"
if [ -f "$peers/aasist/models/AASIST.py" ] && [ -f "$peers/ssl_antispoofing/model.py" ]; then
  mkdir -p "$dev/peers/aasist/models" "$dev/peers/aasist/config" "$dev/peers/ssl_antispoofing"
  cp "$peers/aasist/models/AASIST.py" "$dev/peers/aasist/models/"
  cp "$peers/aasist/config/AASIST.conf" "$dev/peers/aasist/config/"
  cp "$peers/ssl_antispoofing/model.py" "$dev/peers/ssl_antispoofing/"
else
  echo "prepare.sh: no reference checkouts under $peers (set SDD4J_PEERS): the PyTorch GPU peer will not run" >&2
fi

"$jdk/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,java.management,java.xml,jdk.unsupported,jdk.zipfs \
  --strip-debug --no-header-files --no-man-pages --compress zip-9 --output "$dev/jdk"
tar -C "$dev" -czf "$dev/jdk.tgz" jdk
rm -rf "$dev/jdk"

total=$(du -sb "$dev" | cut -f1)
echo "prepared $dev: $((total / 1024 / 1024)) MiB ($(du -sh "$dev/jdk.tgz" | cut -f1) JDK, $(ls "$dev/lib" | wc -l) jars)"
[ "$total" -lt $((60 * 1024 * 1024)) ] || { echo "prepare.sh: .device is over the 64 MiB carry limit (with the repo)" >&2; exit 1; }
