#!/usr/bin/env bash
# The README's first command (after tools/setup.sh): build the bench's rt (hil/Rt.Hil.Host), start a private MQTT broker, and run the demo scenario
# (hil/scenarios/demo-collision.yaml) with the host in real time against the emulated bench (MuJoCo biped, emulated
# CiA 402 drives and IMUs), telemetry to the broker and the live dashboard. Halfway through, an obstacle appears in the
# left shin's path: the screen shows the safety supervisor halting the legs and why. Ends with the verdict table and
# the path of the HTML report (rt-state/demo-report.html). Unattended: no prompt; on a pipe the dashboard prints a
# status line per second instead of redrawing.
# Usage: [RT_DEMO_SECONDS=12] tools/demo.sh [--lockstep] [extra `rt hil run` options]
#   RT_DEMO_SECONDS   length of the run (default: the scenario's 12 s); the collision comes at half of it
#   --lockstep        simulated time instead of real time (deterministic, no live screen)
# Exit code: rt hil run's (0 = the host reacted as the scenario expects).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build hil/Rt.Hil.Host -c Release -nologo -v quiet
rt=hil/Rt.Hil.Host/bin/Release/net10.0/rt.dll
mkdir -p rt-state
work=$(mktemp -d)

# A private broker on a free loopback port, stopped when the demo ends.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18830)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" > "$work/mosquitto.conf"
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
"$mosquitto" -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null || true; rm -rf "$work"' EXIT
echo "demo: broker mqtt://127.0.0.1:$port (watch it with: dotnet $rt monitor --broker mqtt://127.0.0.1:$port --robot biped12)"

# The scenario; with RT_DEMO_SECONDS a copy of it with that length and the collision at half of it.
scenario=hil/scenarios/demo-collision.yaml
if [ -n "${RT_DEMO_SECONDS:-}" ]; then
  if ! [[ "$RT_DEMO_SECONDS" =~ ^[0-9]+([.][0-9]+)?$ ]] || awk "BEGIN{exit !($RT_DEMO_SECONDS < 2)}"; then
    echo "demo: RT_DEMO_SECONDS='$RT_DEMO_SECONDS': expected a number of seconds, at least 2" >&2
    exit 2
  fi
  half=$(awk "BEGIN{printf \"%.3f\", $RT_DEMO_SECONDS / 2}")
  robot=$(cd hil/robots/biped12 && pwd)/biped12.yaml
  sed -e "s|^robot: .*|robot: $robot|" -e "s|^duration_s: .*|duration_s: $RT_DEMO_SECONDS|" -e "s|at_s: [0-9.]*|at_s: $half|" \
    "$scenario" > "$work/demo-collision.yaml"
  scenario=$work/demo-collision.yaml
fi

mode=(--realtime --live)
extra=()
for a in "$@"; do
  if [ "$a" = "--lockstep" ]; then mode=(); else extra+=("$a"); fi
done

set +e
dotnet "$rt" hil run "$scenario" "${mode[@]}" --broker "mqtt://127.0.0.1:$port" \
  --html rt-state/demo-report.html --json rt-state/demo-report.json "${extra[@]}"
rc=$?
set -e
echo
if [ -f rt-state/demo-report.html ]; then
  echo "demo: HTML report: $(pwd)/rt-state/demo-report.html"
else
  echo "demo: no report was written (rt hil run exited with $rc)" >&2
fi
exit $rc
