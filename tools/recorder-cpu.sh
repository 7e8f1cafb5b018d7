#!/usr/bin/env bash
# The MCAP recorder's cost at 1 kHz: a real-time bench run of biped12 (march) with --record f.mcap, the rt-recorder
# thread's CPU time (utime+stime from /proc, sampled until the thread ends) over the run, and the file size per minute.
# usage: tools/recorder-cpu.sh [seconds=30] [out.mcap]   (build hil/Rt.Hil.Host in Release first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rt="$root/hil/Rt.Hil.Host/bin/Release/net10.0/rt"
dur=${1:-30}
out=$(realpath -m "${2:-$(mktemp -d)/recorder.mcap}")
work=$(dirname "$out"); mkdir -p "$work"
(cd "$work" && exec "$rt" run --config "$root/hil/robots/biped12/biped12.yaml" --bench --no-ui --motion march --duration "$dur" --seed 1 --record "$out" > "$work/run.log" 2>&1) &
pid=$!
ticks=0
while kill -0 "$pid" 2>/dev/null; do
  for t in $(pgrep -P "$pid" 2>/dev/null) "$pid"; do
    for task in /proc/$t/task/*; do
      [ "$(cat "$task/comm" 2>/dev/null)" = "rt-recorder" ] && ticks=$(awk '{print $14+$15}' "$task/stat" 2>/dev/null || echo "$ticks")
    done
  done
  sleep 0.2
done
wait "$pid" || true
hz=$(getconf CLK_TCK)
bytes=$(stat -c %s "$out")
awk -v t="$ticks" -v hz="$hz" -v d="$dur" -v b="$bytes" 'BEGIN {
  printf "mcap_recorder_cpu: %.3f s\n", t / hz
  printf "mcap_recorder_share: %.2f %% of a core\n", 100 * t / hz / d
  printf "mcap_size_per_minute: %.1f MB\n", b / 1e6 * 60 / d
}'
