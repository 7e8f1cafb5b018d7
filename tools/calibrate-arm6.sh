#!/usr/bin/env bash
# Recalibrates arm6's twin on the bench and writes hil/robots/arm6/arm6.twin.yaml (as tools/calibrate-biped12.sh does
# for the biped; the arm has no march, so every recording is the sine sweep, which is also the motion it runs):
#   1. records two full sine sweeps (every joint in turn: link dynamics, gravity, friction), with the twin-driven
#      triggers warning only (bench only);
#   2. records randomised sweeps (plant and sensor variations drawn as the arm's HIL scenarios draw them);
#   3. rt calibrate: dynamics and friction from the sweep, the noise model from replaying the new twin over all;
#   4. validates on a held-out sweep with another seed (other sensor noise) and prints the alarm count.
# Usage: [RT_CAL_RANDOMISED=12] tools/calibrate-arm6.sh [workdir]   (a few minutes of wall time)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
dotnet build hil/Rt.Hil.Host -c Release -nologo -v quiet
root=$PWD
rt="dotnet $root/hil/Rt.Hil.Host/bin/Release/net10.0/rt.dll"
work=$(realpath -m "${1:-$(mktemp -d)}")
mkdir -p "$work"
dir=$root/hil/robots/arm6
cfg=$dir/arm6.yaml
out=$dir/arm6.twin.yaml
# The twin being calibrated must not judge its own calibration runs: record with the nominal twin, triggers warning.
# The copy lives in the work folder, so every path it names is made absolute.
nominal=$work/nominal.yaml
sed -e "s#description: arm6.urdf#description: $dir/arm6.urdf#" -e "s#esi: \[esi\]#esi: [$dir/esi]#" -e 's#^\(  parameters:\).*#\1 ""#' "$cfg" > "$nominal"
cd "$work"
record() { $rt run --config "$nominal" --bench --lockstep --no-ui --warn-only twin_divergence collision "$@" | tail -2; }
# One sweep is 6 joints x 8 s; 100 s = two sweeps and a bit.
record --motion sine --duration 100 --seed 1 --record "$work/sine.rtt"
record --motion hold --duration 20 --seed 1 --record "$work/hold.rtt"
noise=("$work/sine.rtt" "$work/hold.rtt")
# Seeds 900201+ are kept out of the campaigns' own. The scenario is copied to run the nominal config (the shipped one
# names the twin file this run is about to write, which need not exist yet).
sed -e "s#^robot:.*#robot: $nominal#" "$dir/scenarios/nominal-sine.yaml" > "$work/randomise.yaml"
for k in $(seq 1 ${RT_CAL_RANDOMISED:-12}); do
  record --motion sine --duration 60 --seed $((900200 + k)) --randomise "$work/randomise.yaml" --record "$work/sine-r$k.rtt"
  noise+=("$work/sine-r$k.rtt")
done
$rt calibrate "$work/sine.rtt" --noise-from "${noise[@]}" --config "$nominal" --out "$out"
# Held out: another seed (other sensor noise), the shipped config (it loads the file just written), no overrides.
$rt run --config "$cfg" --bench --lockstep --no-ui --motion sine --duration 60 --seed 7 --record "$work/heldout.rtt" | grep -E "divergence|safety|faults" || true
$rt validate "$work/heldout.rtt" --config "$cfg" --json "$work/validate.json" | tail -40
echo "calibration: wrote $out; recordings and validation in $work"
