#!/usr/bin/env bash
# Installs what Rt needs on a fresh Debian 12 machine: the bench (MuJoCo), the broker and its clients,
# the real-time and packet tools the benchmarks and tests use, and the compiler for the MuJoCo shim.
# Idempotent; uses sudo when not run as root. The .NET 10 SDK must already be installed.
set -euo pipefail

PACKAGES=(
  libmujoco-dev        # bench physics (MuJoCo 2.2.2), through hil/native's C shim
  gcc libc6-dev        # builds the shim
  mosquitto            # the broker: telemetry tests and the demo
  mosquitto-clients    # mosquitto_sub/pub/passwd: independent clients in tests
  openssl              # throwaway TLS certificates in telemetry tests
  rt-tests             # cyclictest, the reference for `rt bench loop`
  tshark               # decodes pcapng captures in the bus tests
  iproute2             # network namespaces and veth pairs for bus tests
  linux-libc-dev       # linux/gpio.h: GPIO uAPI layouts are checked against it
  chromium             # the browser dashboard test (Playwright drives /usr/bin/chromium; no browser download)
  python3-paho-mqtt    # the independent subscriber of tools/telemetry-latency.py (safety event latency)
  python3-numpy        # the point-force fit of tools/window-oracle.py (isolation analysis)
  sqlite3              # the sqlite3 CLI: an independent reader of the health database in tests
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  # tshark asks whether non-root users may capture; answer non-interactively.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node and npm run the independent readers of the tests (MCAP, ROS 2 CDR, Parquet, protobuf): tools/node/package-lock.json pins them.
command -v npm >/dev/null 2>&1 || { $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
(cd "$(dirname "$0")/node" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

# The broker package starts a system service on 1883; tests start their own brokers on free ports, so it is not needed.
if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (dotnet not on PATH)" >&2
  exit 1
fi
echo "setup: ok ($(dotnet --version), MuJoCo $(dpkg-query -W -f='${Version}' libmujoco-dev), mosquitto $(dpkg-query -W -f='${Version}' mosquitto))"
