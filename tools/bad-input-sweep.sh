#!/usr/bin/env bash
# Runs every `rt` subcommand of the bench's binary with bad input (a missing, empty, binary or unreadable file, a
# directory for a file, an unknown flag, out-of-range numbers) and lists each case: its exit code and first stderr line.
# A case is flagged when stderr holds a stack trace or "a bug", when its first line does not start with "error:", or
# when the exit code is not 2 (bad input) or 3 (missing library/device). Exit 0 when nothing is flagged, 1 otherwise.
#   tools/bad-input-sweep.sh [rt.dll]        (default: the bench's Release build)
# Every case runs with a timeout (90 s: a loaded machine starts dotnet slowly): a command that waits for input it should have refused is flagged too.
set -u
here="$(cd "$(dirname "$0")/.." && pwd)"
dll="${1:-$here/hil/Rt.Hil.Host/bin/Release/net10.0/rt.dll}"
[ -f "$dll" ] || { echo "error: $dll not built (dotnet build hil/Rt.Hil.Host -c Release)" >&2; exit 3; }
cfg="$here/hil/robots/biped12/biped12.yaml"
scen="$here/hil/scenarios/nominal-march-short.yaml"
w="$(mktemp -d /tmp/rt-sweep-XXXXXX)"
trap 'chmod -R u+rwX "$w"; rm -rf "$w"' EXIT
mkdir "$w/dir" "$w/out"
: > "$w/empty"
printf '\x00\x01\x02binary\xff\xfe' > "$w/binary"
cp "$cfg" "$w/unreadable"; chmod 000 "$w/unreadable"
unset SSH_CONNECTION
flagged=0 total=0

# In each template the bad file goes at @F@; @C@ is the good config, @O@ an output file in a fresh folder.
templates=(
  "run --config @F@ --bench --lockstep --duration 0.1"
  "run --config @C@ --bench --lockstep --duration 0.1 --randomise @F@"
  "preflight --config @F@"
  "doctor --config @F@"
  "scan --bench --config @F@"
  "bus up --bench --config @F@ --duration 0.1"
  "bus up --iface lo --esi @F@ --duration 0.1"
  "calibrate @F@ --config @C@ --out @O@"
  "calibrate @C@ --config @C@ --out @O@ --noise-from @F@"
  "validate @F@ --config @C@"
  "validate @F@ --config @C@ --params @F@"
  "recording convert @F@ @O@"
  "dataset export @F@ --out @O@.ds"
  "safety-log @F@"
  "health --db @F@"
  "health add @F@ --config @C@ --db $w/out/h.db"
  "health add @F@ --config @C@ --db @F@"
  "monitor --config @F@ --seconds 1"
  "monitor --broker mqtts://127.0.0.1:1 --robot r --ca @F@ --seconds 1"
  "monitor --broker mqtt://127.0.0.1:1 --robot r --credentials @F@ --seconds 1"
  "dashboard --config @F@ --broker ws://127.0.0.1:1"
  "reset --config @F@"
  "jog --config @F@ --joint l_knee --direction +"
  "home --config @F@ --joint l_knee"
  "brake engage --config @F@ --all"
  "hil run @F@"
  "hil sweep @F@ --hours 0.0001 --seeds 1"
  "hil age @F@ --days 1"
  "hil serve --iface lo --config @F@ --seconds 1"
  "bench twin --config @F@"
  "bench tick --config @F@"
  "bench lockstep --config @F@ --duration 1"
)
numbers=(
  "run --config @C@ --bench --lockstep --duration -1"
  "run --config @C@ --bench --lockstep --duration 1e999"
  "run --config @C@ --bench --lockstep --duration 0.1 --seed abc"
  "run --config @C@ --bench --lockstep --duration 0.1 --motion fly"
  "run --config @C@ --bench --lockstep --duration 0.1 --initial-pose l_knee=1e300"
  "run --config @C@ --bench --lockstep --duration 0.1 --broker bogus://x"
  "preflight --config @C@ --duration 0"
  "reset --config @C@ --timeout 0"
  "reset --socket $w/nosuch.sock --timeout 1e9"
  "jog --config @C@ --joint l_knee --direction + --speed -1"
  "jog --config @C@ --joint l_knee --direction + --speed NaN"
  "jog --config @C@ --joint l_knee --direction + --duration 0"
  "home --config @C@ --joint l_knee --method 99"
  "health add @C@ --config @C@ --day 1e300"
  "health add @C@ --config @C@ --source robot"
  "hil run $scen --jobs 0"
  "hil run $scen --jobs -1"
  "hil run $scen --seed -1"
  "hil run $scen --twin-adapt maybe"
  "hil sweep $scen --seeds -1"
  "hil sweep $scen --seed-base 0"
  "hil age $scen --days -1"
  "hil age $scen --seeds 0"
  "hil age $scen --jobs 0"
  "hil age $scen --session-s NaN"
  "hil age $scen --joint no_such_joint --days 1"
  "hil serve --iface lo --config @C@ --dc-drift-ppm 1e6 --seconds 1"
  "bench tick --config @C@ --ticks -1"
  "bench loop --config @C@ --duration 0"
  "dashboard --broker ws://127.0.0.1:1 --port 70000"
  "bus up --bench --config @C@ --duration -1"
  "scan --bench --config @C@ --seed x"
)

run_case() {
  local args="$1" out err code first verdict
  total=$((total + 1))
  err="$(cd "$w" && timeout 90 dotnet "$dll" $args 2>&1 >/dev/null)"; code=$?
  first="$(printf '%s\n' "$err" | head -1)"
  verdict=ok
  if [ $code -eq 124 ]; then verdict=TIMEOUT
  elif printf '%s' "$err" | grep -qE '^   at |Unhandled exception|--- End of'; then verdict=TRACE
  elif printf '%s' "$err" | grep -q 'a bug'; then verdict=BUG
  elif [ "${first#error:}" = "$first" ]; then verdict=NO-ERROR-LINE
  elif [ $code -ne 2 ] && [ $code -ne 3 ]; then verdict=EXIT-$code
  fi
  [ $verdict = ok ] || flagged=$((flagged + 1))
  printf '%-13s %d  rt %s\n      %s\n' "$verdict" "$code" "$args" "$first"
}

for t in "${templates[@]}"; do
  for f in "$w/missing.yaml" "$w/empty" "$w/binary" "$w/dir" "$w/unreadable"; do
    [ "$f" = "$w/unreadable" ] && [ "$(id -u)" = 0 ] && continue # root reads every file
    a="${t//@F@/$f}"; a="${a//@C@/$cfg}"; a="${a//@O@/$w/out/o$total.yaml}"
    run_case "$a"
  done
done
for t in "${numbers[@]}"; do
  a="${t//@C@/$cfg}"
  run_case "$a"
done
for c in run preflight doctor scan "bus up" calibrate validate "recording convert" "dataset export" safety-log health monitor \
         dashboard reset jog home "brake engage" "hil run" "hil sweep" "hil age" "hil serve" "bench twin"; do
  run_case "$c --no-such-flag"
done
echo "bad_input_cases: $total"
echo "bad_input_flagged: $flagged"
[ $flagged -eq 0 ]
