#!/usr/bin/env bash
# Broker killed mid-run: a private mosquitto is stopped for OUTAGE seconds (default 60) in the middle of a SECONDS
# (default 180) 1 kHz stream (biped12's layout, a safety event every 50 ms through the real safety log).
#   tools/telemetry-outage.sh [OUTAGE] [SECONDS]
# Look at: telemetry.push.max_during_outage (the tick's cost while the broker is gone: no overrun is caused),
# telemetry.records.dropped (every drop counted), telemetry.safety.pending (0: every event reached the broker after
# the reconnect, from the safety log), telemetry.safety.delivered.after_stop (the in-process subscriber keeps a
# persistent session on a broker with persistence, so it sees every event across the restart) and
# telemetry.safety.missing (any it never saw, with when it was raised). RT_BIN=path runs another build.
set -euo pipefail
cd "$(dirname "$0")/.."
outage="${1:-60}"
seconds="${2:-180}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
rt=${RT_BIN:-hil/Rt.Hil.Host/bin/Release/net10.0/rt} # RT_BIN: another build
[ -x "$rt" ] || dotnet build hil/Rt.Hil.Host -c Release -v q >/dev/null
echo "# tools/telemetry-outage.sh $outage $seconds, started $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$rt" bench telemetry --seconds "$seconds" --outage "$outage"
