#!/usr/bin/env bash
# Safety event latency, raised -> independent subscriber (paho, its own process), p50/p99, with a same-run baseline
# (paho QoS 1 publish -> the same subscriber) on a private mosquitto; plus everything tools/telemetry-soak.sh prints.
#   tools/telemetry-latency.sh [SECONDS]     (default 60)
exec "$(dirname "$0")/telemetry-soak.sh" "${1:-60}" /tmp/rt-telemetry-latency.txt
