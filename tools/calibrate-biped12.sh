#!/usr/bin/env bash
# Recalibrates biped12's twin on the bench and writes hil/robots/biped12/biped12.twin.yaml:
#   1. records a per-joint sine sweep (excites every joint: link dynamics, friction) and a march (the motion the
#      robot runs; the noise model must cover it), with the twin-driven triggers warning only (bench only);
#   2. records randomised marches and sweeps (plant and sensor variations drawn as the HIL scenarios draw them);
#   3. rt calibrate: dynamics and friction from the sweep, the noise model from replaying the new twin over all;
#   4. validates on a held-out march with another seed (other sensor noise) and prints the alarm count.
# Usage: [RT_CAL_RANDOMISED=10] tools/calibrate-biped12.sh [workdir]   (a few minutes of wall time)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
dotnet build hil/Rt.Hil.Host -c Release -nologo -v quiet
root=$PWD
rt="dotnet $root/hil/Rt.Hil.Host/bin/Release/net10.0/rt.dll"
work=$(realpath -m "${1:-$(mktemp -d)}")
mkdir -p "$work"
cfg=$root/hil/robots/biped12/biped12.yaml
out=$root/hil/robots/biped12/biped12.twin.yaml
# The twin being calibrated must not judge its own calibration runs: record with the nominal twin, triggers warning.
nominal=$work/nominal.yaml
sed -e "s#description: biped12.urdf#description: $root/hil/robots/biped12/biped12.urdf#" -e 's#^\(  parameters:\).*#\1 ""#' "$cfg" > "$nominal"
cd "$work"
record() { $rt run --config "$nominal" --bench --lockstep --no-ui --warn-only twin_divergence collision "$@" | tail -2; }
record --motion sine --duration 100 --seed 1 --record "$work/sine.rtt"
record --motion march --duration 60 --seed 1 --record "$work/march.rtt"
# The plant variations the HIL campaigns draw (hil/scenarios/nominal-march.yaml's randomisation): the noise model
# must cover them, or every randomised plant looks like a fault. Seeds 900001+ are kept out of the campaigns' own.
noise=("$work/march.rtt")
for k in $(seq 1 ${RT_CAL_RANDOMISED:-20}); do
  record --motion march --duration 60 --seed $((900000 + k)) --randomise "$root/hil/scenarios/nominal-march.yaml" --record "$work/march-r$k.rtt"
  noise+=("$work/march-r$k.rtt")
done
for k in $(seq 1 ${RT_CAL_RANDOMISED_SINE:-20}); do
  record --motion sine --duration 100 --seed $((900100 + k)) --randomise "$root/hil/scenarios/nominal-sine.yaml" --record "$work/sine-r$k.rtt"
  noise+=("$work/sine-r$k.rtt")
done
$rt calibrate "$work/sine.rtt" --noise-from "${noise[@]}" --config "$nominal" --out "$out"
# Held out: another seed (other sensor noise), the shipped config (it loads the file just written), no overrides.
$rt run --config "$cfg" --bench --lockstep --no-ui --motion march --duration 60 --seed 7 --record "$work/heldout.rtt" | grep -E "divergence|safety|faults" || true
$rt validate "$work/heldout.rtt" --config "$cfg" --json "$work/validate.json" | tail -60
echo "calibration: wrote $out; recordings and validation in $work"
