#!/usr/bin/env bash
# Smallest IMU bias step the twin detects within 5 ms and within 50 ms on the HIL bench (issue 13 item 4), per foot
# IMU axis: writes one scenario per (axis, size) into a temp folder — the iso-imu-* scenarios' randomisation, the
# step at 3.0 s — runs them with `rt hil run`, and prints `imu_bias_<imu>_<sensor>_<axis>_<size>: <latency> ms` lines
# (latency "none" = no trip within 0.6 s) and, per axis, the smallest size tripping within 5 and within 50 ms.
# Usage: tools/imu-bias-steps.sh [rt command…]   (default: dotnet hil/Rt.Hil.Host/bin/Release/net10.0/rt.dll)
# Exit status: 0, or rt's when the run itself fails (2 bad input, 3 missing library).
set -euo pipefail
cd "$(dirname "$0")/.."
RT=("$@"); [ ${#RT[@]} -eq 0 ] && RT=(dotnet hil/Rt.Hil.Host/bin/Release/net10.0/rt.dll)
dir=$(mktemp -d /tmp/rt-imu-bias-steps.XXXXXX)
trap 'rm -rf "$dir"' EXIT
robot="$PWD/hil/robots/biped12/biped12.yaml"
rnd='{ mass_fraction: 0.05, inertia_fraction: 0.05, friction_fraction: 0.2, motor_constant_fraction: 0.03, encoder_noise_counts: [0, 2], imu_accel_noise_ms2: [0.01, 0.03], imu_gyro_noise_rad_s: [0.001, 0.003], sensor_latency_substeps: [0, 1] }'
# sensor key, unit sizes, motion
gyro_sizes="0.02 0.03 0.04 0.05 0.055 0.065 0.08 0.15"
accel_sizes="0.5 0.75 1.0 1.5 2.5"
for imu in l_foot_imu r_foot_imu; do
  for sensor in gyro accel; do
    for axis in 0 1 2; do
      sizes=$gyro_sizes; key=gyro_bias_rad_s; [ $sensor = accel ] && sizes=$accel_sizes && key=accel_bias_ms2
      for size in $sizes; do
        v=(0.0 0.0 0.0); v[$axis]=$size
        for motion in march sine; do
          name="bias-${imu}-${sensor}-$(echo xyz | cut -c$((axis+1)))-${size/./p}-${motion}" # scenario names take no dots
          cat > "$dir/$name.yaml" <<YAML
name: $name
robot: $robot
motion: $motion
duration_s: 3.6
seed: $((500 + axis))
randomisation: $rnd
injections:
  - { at_s: 3.0, kind: imu_bias, target: $imu, $key: [${v[0]}, ${v[1]}, ${v[2]}] }
expect: { outcome: stop, within_ms: 50 }
YAML
        done
      done
    done
  done
done
"${RT[@]}" hil run "$dir" --jobs 2 --json "$dir/report.json" > "$dir/out.txt" 2>&1 || true
[ -s "$dir/report.json" ] || { tail -5 "$dir/out.txt" >&2; exit 2; }
python3 - "$dir/report.json" <<'PY'
import json, re, sys, collections
runs = json.load(open(sys.argv[1]))['campaign']['scenarios']
worst = collections.defaultdict(dict)  # (imu, sensor, axis) -> size -> worst latency over motions
for s in runs:
    m = re.match(r'bias-(\w+_imu)-(gyro|accel)-([xyz])-([0-9p]+)-(\w+)', s['name'])
    if not m: continue
    imu, sensor, axis, size, motion = m.groups()
    lat = s.get('detectionLatencyMs')
    print(f"imu_bias_{imu}_{sensor}_{axis}_{size}_{motion}: {lat if lat is not None else 'none'} ms")
    key = (imu, sensor, axis); size = float(size.replace('p', '.'))
    prev = worst[key].get(size, 0.0)
    worst[key][size] = float('inf') if lat is None or prev == float('inf') else max(prev, lat)
for key in sorted(worst):
    sizes = sorted(worst[key])
    s5 = next((z for z in sizes if all(worst[key][w] <= 5 for w in sizes if w >= z)), None)
    s50 = next((z for z in sizes if all(worst[key][w] <= 50 for w in sizes if w >= z)), None)
    unit = 'rad/s' if key[1] == 'gyro' else 'm/s2'
    print(f"imu_bias_{key[0]}_{key[1]}_{key[2]}_min_5ms: {s5 if s5 is not None else 'none'} {unit}")
    print(f"imu_bias_{key[0]}_{key[1]}_{key[2]}_min_50ms: {s50 if s50 is not None else 'none'} {unit}")
PY
