#!/usr/bin/env bash
# Installs Rt on the robot's computer: the robot's `rt` binary, the systemd unit, the config directory and the dedicated
# user `rt` (plus the operator group `rt-operator` that may use the local reset socket). Run as root.
#
#   tools/install.sh [--binary <rt>] [--config <robot.yaml>] [--root <dir>] [--enable]
#
#   --binary  the robot's binary (default: out/robot/linux-x64/rt from tools/publish.sh; built if missing)
#   --config  copied to /etc/rt/robot.yaml when none is there yet (an existing config is never overwritten)
#   --root    install under this folder instead of / (packaging, tests); users are added to its etc/passwd
#   --enable  enable the service at boot (it starts Disabled: motion needs a local reset)
set -euo pipefail
cd "$(dirname "$0")/.."

binary="out/robot/linux-x64/rt"
config=""
root=""
enable=0
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --root) root="${2%/}"; shift 2 ;;
    --enable) enable=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then echo "install: run as root (it adds a system user and installs a systemd unit)" >&2; exit 4; fi
if [ ! -x "$binary" ]; then
  if [ "$binary" = "out/robot/linux-x64/rt" ]; then tools/publish.sh; else echo "install: '$binary' is not an executable" >&2; exit 2; fi
fi
if [ -n "$config" ] && [ ! -f "$config" ]; then echo "install: config '$config' does not exist" >&2; exit 2; fi

prefix=()
[ -n "$root" ] && prefix=(--prefix "$root")
mkdir -p "$root/etc" "$root/usr/local/bin" "$root/etc/systemd/system" "$root/usr/local/share/doc/rt" "$root/etc/rt"

# The service user: no login, no home; the operator group may send local resets (socket mode 0660).
getent_in() { grep -q "^$2:" "$root/etc/$1" 2>/dev/null; }
getent_in group rt-operator || groupadd "${prefix[@]}" --system rt-operator
getent_in passwd rt || useradd "${prefix[@]}" --system --no-create-home --home-dir /var/lib/rt --shell /usr/sbin/nologin --user-group rt

install -m 0755 "$binary" "$root/usr/local/bin/rt"
# The NativeAOT publish puts SQLite's native library (the health database, `rt health`) beside the binary.
sqlite_lib="$(dirname "$binary")/libe_sqlite3.so"
if [ -f "$sqlite_lib" ]; then
  mkdir -p "$root/usr/local/lib"
  install -m 0644 "$sqlite_lib" "$root/usr/local/lib/libe_sqlite3.so"
  [ -z "$root" ] && command -v ldconfig >/dev/null 2>&1 && ldconfig
fi
install -m 0644 deploy/rt.service "$root/etc/systemd/system/rt.service"
install -m 0644 docs/DEPLOY.md "$root/usr/local/share/doc/rt/DEPLOY.md"
chown root:rt "$root/etc/rt" 2>/dev/null || chgrp "$(grep '^rt:' "$root/etc/group" | cut -d: -f3)" "$root/etc/rt"
chmod 0750 "$root/etc/rt"
if [ -n "$config" ] && [ ! -f "$root/etc/rt/robot.yaml" ]; then
  install -m 0640 "$config" "$root/etc/rt/robot.yaml"
  chgrp "$(grep '^rt:' "$root/etc/group" | cut -d: -f3)" "$root/etc/rt/robot.yaml"
fi

if command -v systemd-analyze >/dev/null 2>&1; then
  systemd-analyze verify "$root/etc/systemd/system/rt.service" 2>&1 | grep -v "is not executable" || true
fi
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  [ "$enable" -eq 1 ] && systemctl enable rt.service
fi
echo "install: rt $( "$root/usr/local/bin/rt" --version 2>/dev/null || echo '') in $root/usr/local/bin/rt; unit $root/etc/systemd/system/rt.service; config $root/etc/rt; user rt, operator group rt-operator"
[ -f "$root/etc/rt/robot.yaml" ] || echo "install: put the robot's config at /etc/rt/robot.yaml (see docs/CONFIG.md), then: systemctl start rt"
