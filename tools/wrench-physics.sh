#!/usr/bin/env bash
# The physics of the two iso-wrench scenarios (issue 13, docs/TWIN.md "Contact test"): each scenario and a copy of it
# without its injection (same seed, so a lockstep run is identical until the wrench), recorded, converted to tick logs,
# and compared by tools/wrench-physics.py. The scenario files themselves are not changed. Usage: tools/wrench-physics.sh [out dir]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-/tmp/wrench-physics}"
rt="$root/hil/Rt.Hil.Host/bin/Release/net10.0/rt"
[ -x "$rt" ] || { echo "build the bench first: dotnet build hil/Rt.Hil.Host -c Release" >&2; exit 3; }
mkdir -p "$out"
run() { # scenario, seed, chain
  local s="$1" seed="$2" chain="$3" src="$root/hil/scenarios/$1.yaml"
  sed -e "s#robot: ../robots#robot: $root/hil/robots#" -e "s#^name: \(.*\)#name: \1-ctl#" -e '/collision_wrench/d' \
      -e '/^injections:/d' -e 's/^expect: .*/expect: { outcome: no_trip }/' "$src" > "$out/$s-ctl.yaml"
  "$rt" hil run "$src" "$out/$s-ctl.yaml" -j 2 --record "$out" > "$out/$s.log" 2>&1 || true
  for f in "$out/$s-seed$seed.mcap" "$out/$s-ctl-seed$seed.mcap"; do "$rt" recording convert "$f" "${f%.mcap}.rtt" > /dev/null; done
  echo "== $s (seed $seed): chain $chain"
  python3 "$root/tools/wrench-physics.py" "$out/$s-seed$seed.rtt" "$out/$s-ctl-seed$seed.rtt" "$root/hil/robots/biped12/biped12.twin.yaml" 3001 "$chain"
}
run iso-wrench-left-hip-roll-link 410 l_hip_yaw,l_hip_roll
run iso-wrench-right-ankle-link 411 r_hip_yaw,r_hip_roll,r_hip_pitch,r_knee,r_ankle_pitch
