#!/usr/bin/env bash
# Builds the MuJoCo shim for the HIL bench: hil/native/build/librtmujoco.so.
# Needs gcc and Debian's libmujoco-dev (MuJoCo 2.2.2). Also run by hil/Rt.Hil/Rt.Hil.csproj before each build
# (incrementally), so `dotnet build` alone is enough on a machine that has both.
# --if-available: without MuJoCo, print the one-line notice and succeed (the managed build goes on; the bench then
# refuses to start at run time with the same message). Used by the MSBuild target.
set -euo pipefail
soft=0
if [[ "${1:-}" == "--if-available" ]]; then soft=1; shift; fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/hil/native"
out="${1:-$src/build}"
shopt -s nullglob
libs=(/usr/lib/*/libmujoco.so /usr/lib/libmujoco.so /usr/local/lib/libmujoco.so)
if [[ ! -f /usr/include/mujoco/mujoco.h || ${#libs[@]} -eq 0 ]]; then
  if [[ $soft -eq 1 ]]; then
    echo "MuJoCo 2.2.2 not found: install Debian libmujoco-dev (the HIL bench will not run; everything else builds)"
    exit 0
  fi
  echo "MuJoCo 2.2.2 not found: install Debian libmujoco-dev" >&2
  exit 3
fi
mkdir -p "$out"
gcc -O2 -fPIC -shared -Wall -Wextra -Werror -std=gnu11 \
  -o "$out/librtmujoco.so" "$src/rt_mujoco_shim.c" \
  -lmujoco -lpthread -Wl,--no-undefined
echo "built $out/librtmujoco.so"
