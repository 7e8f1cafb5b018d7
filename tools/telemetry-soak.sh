#!/usr/bin/env bash
# Telemetry soak at 1 kHz real time (issue 14's numbers): biped12's layout (12 joints + 1 IMU) streamed for SECONDS
# (default 3600) through a private mosquitto on a free port (its own, never another run's broker), with a safety event
# every 50 ms through the real safety log, and an independent subscriber process (tools/telemetry-latency.py, paho).
#   tools/telemetry-soak.sh [SECONDS] [OUT]          (OUT default /tmp/rt-telemetry-soak.txt)
# Prints `name: value unit` lines: GCs during the stream (no in-process subscriber, so they are the publisher's, the
# MQTT client's and the tick/safety-log stand-ins'), publisher CPU (both publisher threads), divergence and summary
# kB/s, records dropped, safety event latency p50/p99 from the bench's own subscriber-less count and from the
# independent subscriber, with a same-run baseline (paho publish -> same subscriber).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-3600}"
out="${2:-/tmp/rt-telemetry-soak.txt}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
rt=${RT_BIN:-hil/Rt.Hil.Host/bin/Release/net10.0/rt} # RT_BIN: another build (before/after comparisons)
[ -x "$rt" ] || dotnet build hil/Rt.Hil.Host -c Release -v q >/dev/null
# Debian's python3 (python3-paho-mqtt is installed for it), not a python3 earlier on PATH (pyenv, venv).
py=/usr/bin/python3
"$py" -c 'import paho.mqtt' 2>/dev/null || { echo "telemetry-soak: python3-paho-mqtt missing (tools/setup.sh installs it)" >&2; exit 3; }
[ -x /usr/sbin/mosquitto ] || { echo "telemetry-soak: /usr/sbin/mosquitto missing (tools/setup.sh installs it)" >&2; exit 3; }

dir=$(mktemp -d /tmp/rt-telemetry-soak.XXXXXX)
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/mosquitto.conf" <<CONF
# Root would drop to the mosquitto user, who cannot write the private (0700) folder.
user $(id -un)
listener $port 127.0.0.1
allow_anonymous true
# The broker writes small messages (a safety event) to subscribers at once instead of behind an unacknowledged segment.
set_tcp_nodelay true
log_dest file $dir/mosquitto.log
log_type error
log_type warning
CONF
broker_pid=""; sub_pid=""
cleanup() {
  [ -n "$sub_pid" ] && kill "$sub_pid" 2>/dev/null || true
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
/usr/sbin/mosquitto -c "$dir/mosquitto.conf" & broker_pid=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.2; done
{
  echo "# tools/telemetry-soak.sh $seconds, started $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), broker 127.0.0.1:$port"
  # The subscriber outlives the stream by the bench's connect and drain time; it stops on SIGTERM after the bench.
  "$py" tools/telemetry-latency.py 127.0.0.1 "$port" rt/bench "$((${seconds%.*} + 600))" > "$dir/sub.txt" & sub_pid=$!
  sleep 2
  "$rt" bench telemetry --seconds "$seconds" --broker "mqtt://127.0.0.1:$port" --no-subscriber | grep -v '^telemetry.records.received\|^telemetry.message.bytes\|^telemetry.record.bytes\|^telemetry.link.throughput\|^telemetry.divergence.rate\|^telemetry.summary.rate\|^telemetry.safety.delivered\|^telemetry.safety.latency'
  kill -TERM "$sub_pid"; wait "$sub_pid" || true; sub_pid=""
  cat "$dir/sub.txt"
  echo "# finished $(date -u +%FT%TZ)"
} 2>&1 | tee "$out"
