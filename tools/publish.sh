#!/usr/bin/env bash
# The robot's rt as one self-contained NativeAOT executable (no JIT at run time, no hil/, no MuJoCo):
#   tools/publish.sh [linux-x64|linux-arm64]      -> out/robot/<rid>/rt
# Trim and AOT warnings are errors here: the build must be clean. NativeAOT needs clang (Debian: clang, zlib1g-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
rid="${1:-linux-x64}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
need=(clang zlib1g-dev)
# Cross to arm64 (from an x64 Debian): clang links with the target's C runtime and zlib, from Debian's cross packages
# and the arm64 multiarch zlib (docs/DEPLOY.md).
[ "$rid" = linux-arm64 ] && [ "$(uname -m)" != aarch64 ] && \
  need+=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross zlib1g-dev:arm64)
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if [[ " ${need[*]} " == *":arm64 "* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $SUDO dpkg --add-architecture arm64
fi
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ -n "${missing[*]:-}" ]; then
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
out="out/robot/$rid"
dotnet publish src/Rt.Robot -c Release -r "$rid" -p:PublishAot=true -o "$out" -nologo -v quiet
rm -f "$out"/*.pdb "$out"/*.dbg
echo "publish: $out/rt ($(stat -c %s "$out/rt") bytes)"
