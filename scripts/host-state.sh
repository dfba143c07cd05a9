#!/usr/bin/env bash
# Prints what the test suite must leave as it found it on this machine: network interfaces and addresses, routes,
# network namespaces, firewall rules, forwarding settings, Docker networks and containers, running engines and
# mounts. Normalised (no counters, indexes or pids), so that two snapshots compare with diff:
#   scripts/host-state.sh >before; npm test; scripts/host-state.sh >after; diff -u before after
set -uo pipefail

section() { printf '== %s\n' "$1"; }

section "interfaces"
ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
section "addresses"
ip -o addr show | awk '{ print $2, $3, $4 }' | sort
section "routes"
ip route show table all | sed 's/ linkdown//' | sort
section "network namespaces"
ip netns list | awk '{ print $1 }' | sort
section "forwarding"
cat /proc/sys/net/ipv4/ip_forward
cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo "(no br_netfilter)"
for table in filter nat mangle raw; do
  section "iptables -t $table"
  iptables-save -t "$table" 2>/dev/null | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]/[0:0]/'
done
section "nftables tables"
nft list tables 2>/dev/null | sort
section "docker networks"
docker network ls --format '{{.Name}} {{.Driver}}' 2>/dev/null | sort
section "docker containers"
docker ps -a --format '{{.Names}}' 2>/dev/null | sort
section "engines"
ps -eo args= | awk '$1 ~ /(^|\/)(dockerd|containerd)$/' | sort
section "containerd shim sockets"
find /run/containerd/s -type s 2>/dev/null | wc -l
section "mounts"
awk '{ print $5 }' /proc/self/mountinfo | sort -u
