#!/usr/bin/env bash
# Bring-up time of `rt bus up` (median of N runs, default 5): against the in-process bench, and — as root — over a veth
# pair to `rt hil serve` in its own network namespace (tools/netns-veth.sh). Prints `name: value unit` lines.
#   tools/bus-up-timing.sh [N] [config]     (needs the bench's rt built: dotnet build hil/Rt.Hil.Host -c Release)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5}
config=${2:-hil/robots/biped12/biped12.yaml}
rt=${RT_DLL:-hil/Rt.Hil.Host/bin/Release/net10.0/rt.dll}
[ -f "$rt" ] || { echo "error: $rt not built (dotnet build hil/Rt.Hil.Host -c Release)" >&2; exit 3; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
wall() { sed -n 's/^bring-up: .* ms on the bus clock, \([0-9.]*\) ms wall$/\1/p'; }

bench=()
for _ in $(seq "$n"); do bench+=("$(dotnet "$rt" bus up --bench --config "$config" --duration 0.1 | wall)"); done
echo "bus_up_bench_bringup_wall_median: $(printf '%s\n' "${bench[@]}" | median) ms"

if [ "$(id -u)" -ne 0 ]; then echo "bus_up_veth: skipped (needs root for the veth pair)"; exit 0; fi
ns="rtbu$$"; ns=${ns:0:13}
read -r m s < <(tools/netns-veth.sh up "$ns")
trap 'kill $srv 2>/dev/null || true; wait $srv 2>/dev/null || true; tools/netns-veth.sh down "$ns"' EXIT
ip netns exec "$ns" dotnet "$rt" hil serve --iface "$s" --config "$config" > /dev/null 2>&1 &
srv=$!
sleep 8 # the server loads MuJoCo and the plant
veth=()
for _ in $(seq "$n"); do
  out=$(dotnet "$rt" bus up --iface "$m" --duration 0.5)
  grep -q "^down: " <<<"$out" || { echo "$out" >&2; exit 3; }
  veth+=("$(wall <<<"$out")")
done
echo "bus_up_veth_bringup_wall_median: $(printf '%s\n' "${veth[@]}" | median) ms"
echo "bus_up_veth_bringup_wall_runs: ${veth[*]} ms"
