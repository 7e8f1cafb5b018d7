#!/usr/bin/env bash
# Start-up of the robot's rt, NativeAOT against JIT, with hyperfine (repeated runs, median), and the binaries' sizes.
#   tools/startup-bench.sh [RUNS]          (default 15 runs after 2 warm-ups; needs root: a veth pair in a namespace)
# What is timed, for each binary, over the same veth pair to `rt hil serve` (the bench's rt, in its own namespace):
#   run   = rt run --iface <veth> --duration 0.001: process start, config + URDF, EtherCAT bring-up to OP with
#           distributed clocks, twin and supervisor set-up, the first tick, then the orderly stop and exit.
#   help  = rt --help: process and runtime start alone (no session).
# Prints `name: value unit` lines. Installs hyperfine (Debian package) if it is missing; builds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-15}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
[ "$(id -u)" -eq 0 ] || { echo "startup-bench: needs root (network namespace, veth pair, raw sockets)" >&2; exit 4; }
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq >/dev/null; }
aot=out/robot/linux-x64/rt
jit=src/Rt.Robot/bin/Release/net10.0/rt.dll
bench=hil/Rt.Hil.Host/bin/Release/net10.0/rt
[ -x "$aot" ] || tools/publish.sh linux-x64 >/dev/null
[ -f "$jit" ] || dotnet build src/Rt.Robot -c Release -v q >/dev/null
[ -x "$bench" ] || dotnet build hil/Rt.Hil.Host -c Release -v q >/dev/null
cfg=hil/robots/biped12/biped12.yaml
ns=rtstart
work=$(mktemp -d /tmp/rt-startup.XXXXXX)
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  tools/netns-veth.sh down "$ns"
  rm -rf "$work"
}
trap cleanup EXIT
tools/netns-veth.sh down "$ns"
tools/netns-veth.sh up "$ns" >/dev/null
ip netns exec "$ns" "$bench" hil serve --iface "$ns-s" --config "$cfg" >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do grep -q serving "$work/serve.log" && break; sleep 0.2; done
grep -q serving "$work/serve.log" || { echo "startup-bench: rt hil serve did not come up: $(cat "$work/serve.log")" >&2; exit 3; }

args="run --config $cfg --iface $ns-m --duration 0.001 --no-ui --state-dir $work/state"
# -i: on a loaded machine the first ticks may overrun and the run end Faulted (exit 1); the start-up is timed all the same.
hyperfine -N -i -w 2 -r "$runs" --export-json "$work/run.json" \
  -n aot "$aot $args" -n jit "dotnet $jit $args" >"$work/run.txt" 2>&1
hyperfine -N -i -w 2 -r "$runs" --export-json "$work/help.json" \
  -n aot "$aot --help" -n jit "dotnet $jit --help" >"$work/help.txt" 2>&1
median() { jq -r ".results[] | select(.command==\"$2\") | .median * 1000" "$work/$1.json"; }
ra=$(median run aot); rj=$(median run jit); ha=$(median help aot); hj=$(median help jit)
printf 'startup_to_first_tick_and_stop_aot_median: %.1f ms\n' "$ra"
printf 'startup_to_first_tick_and_stop_jit_median: %.1f ms\n' "$rj"
printf 'startup_run_jit_over_aot: %.2f\n' "$(echo "$rj / $ra" | bc -l)"
printf 'process_start_help_aot_median: %.1f ms\n' "$ha"
printf 'process_start_help_jit_median: %.1f ms\n' "$hj"
printf 'process_start_jit_over_aot: %.2f\n' "$(echo "$hj / $ha" | bc -l)"
echo "binary_size_aot: $(stat -c %s "$aot") bytes"
jitdir=$(dirname "$jit")
echo "binary_size_jit_app_folder: $(du -sb --exclude='*.pdb' --exclude=linux-x64 --exclude=linux-arm64 "$jitdir" | cut -f1) bytes (plus the shared .NET runtime: $(du -sb "$(dirname "$(readlink -f "$(command -v dotnet)")")/shared/Microsoft.NETCore.App" | cut -f1) bytes)"
echo "runs: $runs each, medians; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); cores: $(nproc)"
