#!/usr/bin/env bash
# Creates or removes a network namespace with a veth pair for EtherCAT tests over real frames.
#   tools/netns-veth.sh up NAME    -> creates netns NAME, veth NAME-m (stays here, master side) and NAME-s (moved into
#                                     the namespace, slave side), both up; prints "NAME-m NAME-s"
#   tools/netns-veth.sh down NAME  -> removes both (idempotent)
# Needs root (CAP_NET_ADMIN). NAME: at most 13 characters so the interface names fit IFNAMSIZ (15).
set -euo pipefail

usage() { echo "usage: $0 up|down NAME" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
name=$2
[ ${#name} -le 13 ] || { echo "$0: NAME '$name' is longer than 13 characters" >&2; exit 2; }
master="${name}-m"
slave="${name}-s"

case "$cmd" in
  up)
    ip netns add "$name"
    if ! ip link add "$master" type veth peer name "$slave"; then
      ip netns del "$name"; exit 1
    fi
    ip link set "$slave" netns "$name"
    # No IPv6 chatter (router solicitations) on an EtherCAT wire.
    sysctl -qw "net.ipv6.conf.${master}.disable_ipv6=1" 2>/dev/null || true
    ip netns exec "$name" sysctl -qw "net.ipv6.conf.${slave}.disable_ipv6=1" 2>/dev/null || true
    ip link set "$master" up
    ip -n "$name" link set "$slave" up
    ip -n "$name" link set lo up
    echo "$master $slave"
    ;;
  down)
    ip link del "$master" 2>/dev/null || true
    ip netns del "$name" 2>/dev/null || true
    ;;
  *) usage ;;
esac
