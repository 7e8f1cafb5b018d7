#!/usr/bin/env bash
# The robot's rt as one self-contained NativeAOT executable (no JIT at run time, no hil/, no MuJoCo):
#   tools/publish.sh [linux-x64|linux-arm64]      -> out/robot/<rid>/rt
# Trim and AOT warnings are errors here: the build must be clean. NativeAOT needs clang (Debian: clang, zlib1g-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
rid="${1:-linux-x64}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
for p in clang zlib1g-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ -n "${missing[*]:-}" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
out="out/robot/$rid"
dotnet publish src/Rt.Robot -c Release -r "$rid" -p:PublishAot=true -o "$out" -nologo -v quiet
rm -f "$out"/*.pdb "$out"/*.dbg
echo "publish: $out/rt ($(stat -c %s "$out/rt") bytes)"
