#!/usr/bin/env bash
# The main job: build the host, start a local MQTT broker, and run the controller host in real time against the
# emulated bench (MuJoCo plant, emulated CiA 402 drives and IMUs) with its live screen.
# Usage: [RT_DEMO_SECONDS=60] tools/demo.sh [extra `rt run` options, e.g. --lockstep]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/Rt.Host -c Release -nologo -v quiet

# A private broker on a free loopback port, stopped when the demo ends.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18830)
conf=$(mktemp -d)/mosquitto.conf
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" > "$conf"
/usr/sbin/mosquitto -c "$conf" >/dev/null 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null || true' EXIT
echo "demo: broker mqtt://127.0.0.1:$port (watch it with: dotnet src/Rt.Host/bin/Release/net10.0/rt.dll monitor --broker mqtt://127.0.0.1:$port --robot biped12)"

dotnet src/Rt.Host/bin/Release/net10.0/rt.dll run --config hil/robots/biped12/biped12.yaml --bench --duration "${RT_DEMO_SECONDS:-20}" \
  --broker "mqtt://127.0.0.1:$port" "$@"
