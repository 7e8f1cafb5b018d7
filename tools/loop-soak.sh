#!/usr/bin/env bash
# The long 0-GC proof: the robot-shaped loop (host tick alone over veth to `rt hil serve` in its own namespace, process
# and CPU) at 1 kHz with telemetry on (a private mosquitto), for SECONDS (default 3600), sleep only, no cyclictest.
#   tools/loop-soak.sh [SECONDS] [OUT]     (needs root; OUT default /tmp/rt-loop-soak.txt)
# Prints the bench's `name: value unit` lines: GC collections during the loop (tick thread's no-GC region and the
# process's gen-0/1/2 counts), the process's allocation rate and its no-GC region (loop.no_gc_region_mb), bytes
# allocated on the tick thread after warm-up and per tick, wake-up latency, and telemetry: publisher CPU, records
# dropped, rate and kB/s per topic. RT_ALLOC_SAMPLE=1 adds the allocating types (sampled by the runtime, ~1 per 100 kB).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-3600}"
out="${2:-/tmp/rt-loop-soak.txt}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
rt=hil/Rt.Hil.Host/bin/Release/net10.0/rt
[ -x "$rt" ] || dotnet build hil/Rt.Hil.Host -c Release -v q >/dev/null
# An hour is long: run a private copy of the build, so rebuilding meanwhile cannot change the files under the run.
copy=$(mktemp -d /tmp/rt-loop-soak-bin.XXXXXX)
trap 'rm -rf "$copy"' EXIT
cp -a "$(dirname "$rt")/." "$copy/"
rt="$copy/rt"
{
  echo "# tools/loop-soak.sh $seconds, started $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  "$rt" bench loop --robot-shaped --config hil/robots/biped12/biped12.yaml --duration "$seconds" --rates 1000 \
    --spin-tail-us 0 --no-cyclictest --telemetry
  echo "# finished $(date -u +%FT%TZ), exit $?"
} 2>&1 | tee "$out"
