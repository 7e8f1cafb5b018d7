#!/usr/bin/env bash
# Coverage-guided fuzzing of one reader of outside input with afl++ and SharpFuzz.
#
#   tools/fuzz.sh TARGET SECONDS        e.g. tools/fuzz.sh frame 600   (targets: tools/fuzz.sh --list)
#
# Installs afl++ if missing (apt), restores the sharpfuzz dotnet tool (dotnet-tools.json), builds tests/Rt.Fuzz,
# copies the build to out/fuzz/TARGET/bin and instruments the product assemblies there (the normal build stays
# uninstrumented), seeds the corpus (code-made seeds: hand-made frames and mailbox replies, the emulator's SII images,
# recordings and safety logs written by the product's writers, the repo's URDF/YAML/twin files; plus every kept
# regression input), runs afl-fuzz for SECONDS at nice 19 and prints `name: value unit` lines.
# Findings stay in out/fuzz/TARGET/findings (a later run resumes there). Every crash found must become a named file in
# tests/Rt.Fuzz/regressions/TARGET/ (tests/Rt.Fuzz.Tests replays them in CI; the CI suite never runs the fuzzer).
# Environment: RT_FUZZ_TIMEOUT_MS (per-input hang limit, default 3000), RT_FUZZ_NO_BUILD=1 (reuse the last build).
set -euo pipefail
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="$root/out/fuzz/build"

if [[ "${1:-}" == "--list" ]]; then
  dotnet "$build/Rt.Fuzz.dll" list 2>/dev/null || echo "build first: tools/fuzz.sh frame 1"
  exit 0
fi
if [[ $# -ne 2 || ! "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: tools/fuzz.sh TARGET SECONDS   (tools/fuzz.sh --list for the targets)" >&2
  exit 2
fi
target="$1"
seconds="$2"
work="$root/out/fuzz/$target"

# --- afl++ -------------------------------------------------------------------------------------------------------
if ! command -v afl-fuzz >/dev/null; then
  echo "fuzz: installing afl++ (apt)" >&2
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq afl++ >/dev/null
fi

# --- build once (shared by parallel runs), then a private instrumented copy per target --------------------------
mkdir -p "$root/out/fuzz"
(
  flock 9
  if [[ "${RT_FUZZ_NO_BUILD:-}" != "1" || ! -f "$build/Rt.Fuzz.dll" ]]; then
    dotnet tool restore >/dev/null
    nice -n 10 dotnet build tests/Rt.Fuzz -c Release -v q -o "$build" -p:UseAppHost=false >"$root/out/fuzz/build.log" 2>&1 \
      || { tail -20 "$root/out/fuzz/build.log" >&2; exit 1; }
  fi
) 9>"$root/out/fuzz/build.lock"

if ! dotnet "$build/Rt.Fuzz.dll" list | awk '{print $1}' | grep -qx "$target"; then
  echo "fuzz: unknown target '$target'; targets:" >&2
  dotnet "$build/Rt.Fuzz.dll" list >&2
  exit 2
fi

rm -rf "$work/bin"
mkdir -p "$work"
cp -r "$build" "$work/bin"
# The product assemblies get the afl edge counters; YamlDotNet too for the YAML readers (coverage of the YAML shapes).
instrument=(Rt.Core Rt.Drivers Rt.Twin Rt.Safety rt)
case "$target" in config | twin | scenario) instrument+=(YamlDotNet) ;; esac
for a in "${instrument[@]}"; do
  [[ -f "$work/bin/$a.dll" ]] && dotnet tool run sharpfuzz "$work/bin/$a.dll" >/dev/null
done

# --- corpus ------------------------------------------------------------------------------------------------------
rm -rf "$work/in"
mkdir -p "$work/in"
dotnet "$build/Rt.Fuzz.dll" seed "$target" "$work/in"   # uninstrumented: instrumented code runs only under afl
# Kept crash inputs seed the corpus too, except those still listed in regressions/unfixed.txt (they would only crash).
unfixed="tests/Rt.Fuzz/regressions/unfixed.txt"
if [[ -d "tests/Rt.Fuzz/regressions/$target" ]]; then
  for f in "tests/Rt.Fuzz/regressions/$target"/*.bin; do
    [[ -e "$f" ]] || continue
    grep -q "^$target/$(basename "$f") " "$unfixed" 2>/dev/null && continue
    cp "$f" "$work/in/regression-$(basename "$f")"
  done
fi
# The seeds must not crash the target (a crash among them means a regression is back).
dotnet "$build/Rt.Fuzz.dll" run "$target" "$work/in" >"$work/seeds.log" 2>&1 \
  || { head -c 3000 "$work/seeds.log" >&2; echo "fuzz: a seed crashes the target; see above ($work/seeds.log)" >&2; exit 1; }

# --- fuzz ----------------------------------------------------------------------------------------------------------
stats="$work/findings/default/fuzzer_stats"
before=0
[[ -f "$stats" ]] && before=$(awk -F' *: *' '$1=="execs_done"{print $2}' "$stats")
crashes_before=$(ls "$work/findings/default/crashes" 2>/dev/null | grep -c '^id' || true)
hangs_before=$(ls "$work/findings/default/hangs" 2>/dev/null | grep -c '^id' || true)
# YamlDotNet's document loader recurses per nesting level: a stack overflow cannot be caught, so the YAML readers run
# out of process (the child dies, the fork server saves the input and restarts it).
mode=""
case "$target" in config | twin | scenario) mode="--out-of-process" ;; esac
started=$(date +%s)
AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_AUTORESUME=1 \
AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_FORKSRV_INIT_TMOUT=120000 AFL_SHUFFLE_QUEUE=1 \
  nice -n 19 afl-fuzz -V "$seconds" -i "$work/in" -o "$work/findings" -t "${RT_FUZZ_TIMEOUT_MS:-3000}" -m none \
  -- dotnet "$work/bin/Rt.Fuzz.dll" fuzz "$target" $mode >"$work/afl.log" 2>&1 || { tail -30 "$work/afl.log" >&2; exit 1; }
elapsed=$(( $(date +%s) - started ))

stat() { awk -F' *: *' -v k="$1" '$1==k{print $2}' "$stats"; }
total=$(stat execs_done)
run=$(( total - before ))
crashes=$(( $(ls "$work/findings/default/crashes" 2>/dev/null | grep -c '^id' || true) - crashes_before ))
hangs=$(( $(ls "$work/findings/default/hangs" 2>/dev/null | grep -c '^id' || true) - hangs_before ))
echo "fuzz.$target.executions: $run execs"
echo "fuzz.$target.executions_total: $total execs"
echo "fuzz.$target.exec_rate: $(( run / (elapsed > 0 ? elapsed : 1) )) execs/s"
echo "fuzz.$target.crashes: $crashes inputs"
echo "fuzz.$target.hangs: $hangs inputs"
echo "fuzz.$target.corpus: $(stat corpus_count) inputs"
echo "fuzz.$target.coverage: $(stat bitmap_cvg | tr -d '%') percent"
echo "fuzz.$target.wall_time: $elapsed s"
if (( crashes > 0 || hangs > 0 )); then
  echo "fuzz: new findings in $work/findings/default/{crashes,hangs}; replay with:" >&2
  echo "  dotnet $build/Rt.Fuzz.dll run $target $work/findings/default/crashes" >&2
fi
