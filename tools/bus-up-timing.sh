#!/usr/bin/env bash
# Bring-up time of `rt bus up` (median of N runs, default 5) for each robot config given (default: both sample robots,
# biped12 and arm6, whose benches are built from their ESI files): against the in-process bench (`--bench`), and — as
# root — over a veth pair to `rt hil serve` in its own network namespace (tools/netns-veth.sh). Over veth the master
# gets the same `--config` as on the bench, so the robot's ESI startup commands (arm6: the PDO remap) run there too.
# Prints `name: value unit` lines, the robot's name first.
#   tools/bus-up-timing.sh [N] [config…]     (needs the bench's rt built: dotnet build hil/Rt.Hil.Host -c Release)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5}
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(hil/robots/biped12/biped12.yaml hil/robots/arm6/arm6.yaml)
rt=${RT_DLL:-hil/Rt.Hil.Host/bin/Release/net10.0/rt.dll}
[ -f "$rt" ] || { echo "error: $rt not built (dotnet build hil/Rt.Hil.Host -c Release)" >&2; exit 3; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
wall() { sed -n 's/^bring-up: .* ms on the bus clock, \([0-9.]*\) ms wall$/\1/p'; }

ns=""
srv=""
cleanup() {
  if [ -n "$srv" ]; then kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; fi
  if [ -n "$ns" ]; then tools/netns-veth.sh down "$ns"; fi
  srv=""; ns=""
}
trap cleanup EXIT

for config in "${configs[@]}"; do
  robot=$(basename "$config" .yaml)
  bench=()
  for _ in $(seq "$n"); do
    out=$(dotnet "$rt" bus up --bench --config "$config" --duration 0.1)
    grep -q "^down: " <<<"$out" || { echo "$out" >&2; exit 3; }
    bench+=("$(wall <<<"$out")")
  done
  echo "${robot}.bus_up_bench_bringup_wall_median: $(printf '%s\n' "${bench[@]}" | median) ms"
  echo "${robot}.bus_up_bench_bringup_wall_runs: ${bench[*]} ms"

  if [ "$(id -u)" -ne 0 ]; then echo "${robot}.bus_up_veth: skipped (needs root for the veth pair)"; continue; fi
  ns="rtbu$$"; ns=${ns:0:13}
  read -r m s < <(tools/netns-veth.sh up "$ns")
  log=$(mktemp)
  ip netns exec "$ns" dotnet "$rt" hil serve --iface "$s" --config "$config" > "$log" 2>&1 &
  srv=$!
  # Ready when the serve loop says it is serving (after MuJoCo, the plant and the JIT warm-up); at most 120 s.
  for _ in $(seq 240); do grep -q "serving" "$log" && break; kill -0 "$srv" 2>/dev/null || { cat "$log" >&2; exit 3; }; sleep 0.5; done
  veth=()
  failed=0
  for _ in $(seq "$n"); do
    # A run whose bring-up completed counts even if the process-data phase after it lost a frame (a loaded machine:
    # the served bench missed the reply window); such runs are counted, a run without bring-up is an error.
    out=$(dotnet "$rt" bus up --iface "$m" --config "$config" --duration 0.5 2>&1) || failed=$((failed + 1))
    t=$(wall <<<"$out")
    [ -n "$t" ] || { echo "$out" >&2; exit 3; }
    veth+=("$t")
  done
  echo "${robot}.bus_up_veth_bringup_wall_median: $(printf '%s\n' "${veth[@]}" | median) ms"
  echo "${robot}.bus_up_veth_bringup_wall_runs: ${veth[*]} ms"
  echo "${robot}.bus_up_veth_runs_with_process_data_errors: ${failed} of ${n}"
  rm -f "$log"
  cleanup
done
