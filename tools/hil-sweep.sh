#!/usr/bin/env bash
# The detection-metrics sweep (issue 7): the nominal scenarios repeated with seeds 1, 2, … until at least --hours of
# simulated motion, and every fault scenario once per seed 1..--seeds, in lockstep on every core; prints false trips per
# simulated hour and the detection/stop-command latency distribution per fault kind, and writes the JSON and HTML reports.
# Usage: tools/hil-sweep.sh [out-dir] [rt hil sweep options…]   e.g. tools/hil-sweep.sh /tmp/sweep --hours 0.1 --seeds 5
# Defaults: hil/scenarios, 1 h nominal, 20 seeds per fault scenario (about 10 min of wall time on 2 cores).
# Exit status: 0 every run passed, 1 a run failed (listed above the figures), 2 bad input, 3 MuJoCo/mosquitto missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
out=$(realpath -m "${1:-hil-sweep-$(date -u +%Y%m%dT%H%M%SZ)}")
shift || true
dotnet build hil/Rt.Hil.Host -c Release -nologo -v quiet
mkdir -p "$out"
# Defaults only for what the caller did not give (rt refuses an option given twice).
args=("$@")
[[ " $* " == *" --hours "* ]] || args+=(--hours 1)
[[ " $* " == *" --seeds "* ]] || args+=(--seeds 20)
set +e
dotnet hil/Rt.Hil.Host/bin/Release/net10.0/rt.dll hil sweep hil/scenarios --json "$out/sweep.json" --html "$out/sweep.html" \
  "${args[@]}" 2>&1 | tee "$out/sweep.txt"
status=${PIPESTATUS[0]}
set -e
echo "sweep: figures in $out/sweep.txt, reports $out/sweep.json and $out/sweep.html (exit $status)"
exit "$status"
