#!/usr/bin/env bash
# The frame-loss grid (issue 13 item 3): trips per (lost frames n, moment of the motion). Every injection of the
# frame-loss-{march,sine}-3 scenarios (biped12, arm6) is one moment; each moment is run on its own, once for each
# n = 1 … budget + 1 (the scenario's own seed and randomisation, the run cut 0.5 s after the loss), in lockstep.
# Within the budget no run may trip; budget + 1 must be a Cat 0 bus_frame_loss stop on the bus one tick after the
# tick of the (budget + 1)-th lost frame. Prints a markdown table (docs/HIL.md) and writes the runs' JSON.
# Usage: tools/frame-loss-grid.sh [out-dir] [rt hil run options…]   (about 10 min of wall time on a quiet 2-core machine)
# Exit status: that of rt hil run (0 every run as expected, 1 a run did not pass).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
out=$(realpath -m "${1:-frame-loss-grid-$(date -u +%Y%m%dT%H%M%SZ)}")
shift || true
[[ -n "${RT_SKIP_BUILD:-}" ]] || dotnet build hil/Rt.Hil.Host -c Release -nologo -v quiet
rm -rf "$out/scenarios"; mkdir -p "$out/scenarios"
budget=3
# RT_GRID_FILES: the moment files (default all three; the biped sine is most of the wall time).
files=${RT_GRID_FILES:-hil/scenarios/frame-loss-march-3.yaml hil/scenarios/frame-loss-sine-3.yaml hil/robots/arm6/scenarios/frame-loss-sine-3.yaml}
# shellcheck disable=SC2086
python3 - "$out/scenarios" "$budget" $files <<'PY'
import os, re, sys
dst, budget, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
for f in files:
    text = open(f).read()
    robot = re.search(r'^robot: (.*)$', text, re.M).group(1).strip()
    robot = os.path.realpath(os.path.join(os.path.dirname(f), robot))
    base = re.search(r'^name: (.*)$', text, re.M).group(1).strip()[:-2]  # without "-3"
    inj = re.findall(r'^  - \{ at_s: ([0-9.]+), kind: frame_loss, frames: \d+ \}\s*#\s*(.*)$', text, re.M)
    head = re.sub(r'^(injections:|expect:).*', '', text, flags=re.M | re.S)
    for m, (at, what) in enumerate(inj, 1):
        for n in range(1, budget + 2):
            name = f"{base}-m{m}-n{n}"
            expect = ("{ outcome: no_trip }" if n <= budget else
                      f"{{ outcome: stop, category: cat0, triggers: [bus_frame_loss], within_ms: {budget + 1} }}")
            body = head.split('injections:')[0]
            body = re.sub(r'^name: .*$', f'name: {name}', body, flags=re.M)
            body = re.sub(r'^description: .*$', f'description: "{what} (at {at} s), {n} frame(s) lost"', body, flags=re.M)
            body = re.sub(r'^robot: .*$', f'robot: {robot}', body, flags=re.M)
            body = re.sub(r'^duration_s: .*$', f'duration_s: {float(at) + 0.5:.3f}', body, flags=re.M)
            body += f"injections:\n  - {{ at_s: {at}, kind: frame_loss, frames: {n} }}\nexpect: {expect}\n"
            open(os.path.join(dst, name + ".yaml"), "w").write(body)
PY
set +e
dotnet hil/Rt.Hil.Host/bin/Release/net10.0/rt.dll hil run "$out/scenarios" --json "$out/grid.json" "$@" > "$out/grid.txt" 2>&1
status=$?
set -e
python3 - "$out/grid.json" "$budget" <<'PY' | tee "$out/grid.md"
import json, re, sys
budget = int(sys.argv[2])
runs = json.load(open(sys.argv[1]))["campaign"]["scenarios"]
cells, moments = {}, {}
for r in runs:
    m = re.match(r'(.*)-m(\d+)-n(\d+)$', r["name"])
    key, n = (m.group(1), int(m.group(2))), int(m.group(3))
    moments[key] = r["description"].rsplit(" (at", 1)[0] + " (" + r["description"].rsplit("(at ", 1)[1].split(")")[0] + ")"
    if n <= budget:
        cells[key, n] = "trip: " + (r.get("tripTrigger") or "?") if r.get("tripTrigger") else ("0" if r["verdict"] == "Pass" else "fail")
    else:
        ok = r.get("tripTrigger") == "bus_frame_loss"
        cells[key, n] = (f"bus_frame_loss {r.get('detectionLatencyMs')}/{r.get('stopCommandLatencyMs')} ms" if ok
                         else "trip: " + str(r.get("tripTrigger")))
print("| scenario, moment | " + " | ".join(f"n = {n}" for n in range(1, budget + 1)) + f" | n = {budget + 1} (detect/stop) |")
print("|---|" + "---|" * (budget + 1))
for key in sorted(moments):
    print(f"| {key[0]} m{key[1]}: {moments[key]} | " + " | ".join(cells.get((key, n), "–") for n in range(1, budget + 2)) + " |")
trips = sum(1 for (k, n), v in cells.items() if n <= budget and v != "0")
print(f"\nframe_loss_grid.within_budget_runs: {sum(1 for (k, n) in cells if n <= budget)}")
print(f"frame_loss_grid.within_budget_trips: {trips}")
print(f"frame_loss_grid.over_budget_bus_frame_loss: {sum(1 for (k, n), v in cells.items() if n > budget and v.startswith('bus_frame_loss'))} of {sum(1 for (k, n) in cells if n > budget)}")
PY
echo "grid: $out/grid.md, runs $out/grid.json, console $out/grid.txt (exit $status)"
exit "$status"
