#!/usr/bin/env bash
# Makes sure the machine has what Orchestra and its tests use: Docker engine (running), ZooKeeper,
# busybox-static (offline demo images), dig and named-checkzone, iproute2, iptables and nftables (the pod network,
# published ports, the lab), gcc (the UDP echo test image). Installs with apt-get on Debian as root;
# elsewhere says what is missing.
set -euo pipefail

need_packages=()
command -v dockerd >/dev/null 2>&1 || need_packages+=(docker.io)
[ -d /usr/share/zookeeper ] || need_packages+=(zookeeper)
[ -x /bin/busybox ] || need_packages+=(busybox-static)
command -v dig >/dev/null 2>&1 || need_packages+=(dnsutils)
command -v named-checkzone >/dev/null 2>&1 || need_packages+=(bind9-utils)
command -v ip >/dev/null 2>&1 || need_packages+=(iproute2)
command -v iptables >/dev/null 2>&1 || need_packages+=(iptables)
command -v nsenter >/dev/null 2>&1 || need_packages+=(util-linux)
command -v nft >/dev/null 2>&1 || need_packages+=(nftables)
command -v gcc >/dev/null 2>&1 || need_packages+=(gcc libc6-dev)

if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need_packages[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_packages[@]}" >/dev/null
  else
    echo "error: missing packages: ${need_packages[*]} (install them with your package manager)" >&2
    exit 1
  fi
fi

if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: the Docker engine is not running; start it (e.g. sudo systemctl start docker)" >&2
    exit 1
  fi
  echo "starting dockerd" >&2
  nohup dockerd >/var/log/orchestra-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "error: dockerd did not start; see /var/log/orchestra-dockerd.log" >&2; exit 1; }
fi
