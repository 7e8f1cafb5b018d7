#!/usr/bin/env bash
# Before/after comparison of the telemetry publisher on this machine, alternating two builds in the same period:
# tools/telemetry-latency.sh SECONDS for build A, then B, ROUNDS times, each run also sampled from outside
# (/proc/<pid>/task/*/schedstat, from 8 s after start for SECONDS-10 s: CPU per thread, the same method for both
# builds whatever their bench prints). Prints per run and the medians.
#   tools/telemetry-ab.sh A_RT B_RT [ROUNDS] [SECONDS]      (A_RT/B_RT: rt binaries of the bench host; default 3, 30)
#   e.g. cp -a hil/Rt.Hil.Host/bin/Release/net10.0 /tmp/rt-a (on the old commit) then
#        tools/telemetry-ab.sh /tmp/rt-a/rt hil/Rt.Hil.Host/bin/Release/net10.0/rt
set -euo pipefail
cd "$(dirname "$0")/.."
a="$(realpath "$1")"; b="$(realpath "$2")"; rounds="${3:-3}"; seconds="${4:-30}"
work=$(mktemp -d /tmp/rt-telemetry-ab.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/rt" <<EOF
#!/usr/bin/env bash
# Runs the real rt and samples its threads' CPU between 8 s and $((seconds - 2)) s after start.
"\$RT_REAL" "\$@" &
pid=\$!
snap() { for t in /proc/\$pid/task/*; do echo "\$(basename \$t) \$(cat \$t/comm 2>/dev/null)|\$(cut -d' ' -f1 \$t/schedstat 2>/dev/null)"; done; }
sleep 8; snap > "$work/t0"; date +%s.%N > "$work/t0.time"
sleep $((seconds - 10)); snap > "$work/t1"; date +%s.%N > "$work/t1.time"
wait \$pid
EOF
chmod +x "$work/rt"
summary() {
  /usr/bin/python3 - "$work" <<'PY'
import collections, sys
w = sys.argv[1]
def load(f):
    d = {}
    for line in open(f):
        k, v = line.rstrip("\n").rsplit("|", 1)
        if v.strip(): d[k] = int(v)
    return d
a, b = load(f"{w}/t0"), load(f"{w}/t1")
dt = float(open(f"{w}/t1.time").read()) - float(open(f"{w}/t0.time").read())
by = collections.Counter()
for k, v in b.items(): by[k.split(" ", 1)[1]] += v - a.get(k, 0)
rest = sum(v for n, v in by.items() if not n.startswith("bench-"))
print(f"ext.all_but_bench: {rest / 1e9 / dt * 100:.2f} % | " + "  ".join(f"{n}={v / 1e9 / dt * 100:.2f}" for n, v in by.most_common(8) if v > 0))
PY
}
for i in $(seq "$rounds"); do
  for v in A B; do
    if [ "$v" = A ]; then export RT_REAL="$a"; else export RT_REAL="$b"; fi
    echo "== $v round $i load $(cut -d' ' -f1-3 /proc/loadavg)"
    RT_BIN="$work/rt" tools/telemetry-latency.sh "$seconds" 2>&1 |
      grep -E "messages.published|publisher.cpu|latency.p50|latency.p99|records.dropped|seq_gaps|safety.pending|error|connected to" || true
    summary
  done
done | tee "$work/all.txt"
/usr/bin/python3 - "$work/all.txt" <<'PY'
import re, statistics, sys
t = open(sys.argv[1]).read()
for v in "AB":
    runs = re.findall(r"== " + v + r" round \d+ load [^\n]*\n(.*?)(?=== |\Z)", t, re.S)
    for name, pat in [("telemetry.publisher.cpu", r"publisher.cpu: ([\d.]+)"), ("ext.all_but_bench", r"ext.all_but_bench: ([\d.]+)"),
                      ("safety.sub.latency.p99", r"sub.latency.p99: ([\d.]+)"), ("broker.baseline.latency.p99", r"baseline.latency.p99: ([\d.]+)")]:
        xs = [float(m.group(1)) for r in runs for m in [re.search(pat, r)] if m]
        if xs: print(f"median.{v}.{name}: {statistics.median(xs):.2f} ({', '.join(f'{x:g}' for x in xs)})")
PY
