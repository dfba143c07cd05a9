#!/usr/bin/env bash
# Builds Orchestra's offline images from Debian's busybox-static; nothing is pulled (FROM scratch):
#   orchestra/hello:latest         answers HTTP on :8080 with its pod's name (the quick start's demo), and
#                                  /cgi-bin/remote-addr with the address the request came from
#   orchestra/test-busybox:latest  plain busybox (sh, sleep, wget, nslookup, ...) for tests
#   orchestra/iperf3:latest        busybox plus Debian's iperf3 and its libraries (npm run bench:network; only
#                                  when asked for, and iperf3 must be installed: apt-get install iperf3)
#   orchestra/udp-echo:latest      busybox plus a UDP echo server on :9000 (scripts/images/udp-echo.c, built static
#                                  with gcc: apt-get install gcc libc6-dev), for the published-ports tests
# Usage: scripts/build-demo-image.sh [--force] [hello|test-busybox|iperf3|udp-echo ...]   (default: hello and test-busybox)
# An image is rebuilt only when missing or built from another busybox or another version of this script.
set -euo pipefail

BUSYBOX="${BUSYBOX:-/bin/busybox}"
force=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    hello | test-busybox | iperf3 | udp-echo) targets+=("$arg") ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-demo-image: unknown argument: $arg" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(test-busybox hello)

command -v docker >/dev/null || { echo "build-demo-image: docker CLI not found" >&2; exit 1; }
# A dynamically linked busybox would find no libc in a FROM scratch image.
if [ ! -x "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
  echo "build-demo-image: need a static busybox at $BUSYBOX (Debian: apt-get install busybox-static)" >&2
  exit 1
fi

# What the images are made of; stored as a label so that a stale image is rebuilt.
build_hash="$(cat "$BUSYBOX" "$0" | sha256sum | cut -c1-16)"

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
rootfs="$context/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/www/cgi-bin" "$rootfs/root"
chmod 1777 "$rootfs/tmp"
cp "$BUSYBOX" "$rootfs/bin/busybox"
# Every applet as a symlink to busybox; COPY keeps symlinks as they are.
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"

cat >"$rootfs/bin/orchestra-hello" <<'SCRIPT'
#!/bin/sh
# Serves "hello from <pod name>" on $PORT (8080); the name comes from Orchestra's env, else the hostname.
name="${ORCHESTRA_POD_NAME:-$(hostname)}"
printf 'hello from %s\n' "$name" >/www/index.html
printf 'ok\n' >/www/healthz
httpd -f -p "${PORT:-8080}" -h /www &
pid=$!
# As PID 1 the shell would ignore SIGTERM: trap it so that `docker stop` ends the pod at once.
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
wait "$pid"
SCRIPT
chmod 755 "$rootfs/bin/orchestra-hello"

# Who is calling: the source address the pod sees (a pod's own, or a masquerading machine's). httpd listens on
# IPv6 too, so an IPv4 caller comes as [::ffff:10.42.0.2]: written as plain 10.42.0.2.
cat >"$rootfs/www/cgi-bin/remote-addr" <<'SCRIPT'
#!/bin/sh
addr="${REMOTE_ADDR#[}"
addr="${addr%]}"
printf 'Content-Type: text/plain\r\n\r\n%s\n' "${addr#::ffff:}"
SCRIPT
chmod 755 "$rootfs/www/cgi-bin/remote-addr"

# Which pod answered and whom it saw, in one answer: "<pod name> <caller's address>".
cat >"$rootfs/www/cgi-bin/who" <<'SCRIPT'
#!/bin/sh
addr="${REMOTE_ADDR#[}"
addr="${addr%]}"
printf 'Content-Type: text/plain\r\n\r\n%s %s\n' "${ORCHESTRA_POD_NAME:-$(hostname)}" "${addr#::ffff:}"
SCRIPT
chmod 755 "$rootfs/www/cgi-bin/who"

cat >"$context/Dockerfile.test-busybox" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
ENV PATH=/bin
LABEL orchestra.build-hash="$build_hash" org.opencontainers.image.description="busybox for Orchestra's tests"
CMD ["sh"]
DOCKERFILE

cat >"$context/Dockerfile.hello" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
ENV PATH=/bin
EXPOSE 8080
LABEL orchestra.build-hash="$build_hash" org.opencontainers.image.description="Orchestra demo: HTTP on 8080 with the pod's name"
CMD ["/bin/orchestra-hello"]
DOCKERFILE

# iperf3 with what the dynamic loader needs (ldd lists it all), at the same paths, on top of busybox.
if [[ " ${targets[*]} " == *" iperf3 "* ]]; then
  IPERF3="$(command -v iperf3 || true)"
  [ -n "$IPERF3" ] || { echo "build-demo-image: iperf3 is not installed (Debian: apt-get install iperf3)" >&2; exit 1; }
  cp -a "$rootfs" "$context/rootfs-iperf3"
  for file in "$IPERF3" $(ldd "$IPERF3" | grep -o '/[^ ]*'); do
    mkdir -p "$context/rootfs-iperf3$(dirname "$file")"
    cp -L "$file" "$context/rootfs-iperf3$file"
  done
  iperf3_hash="$(cat "$BUSYBOX" "$0" "$IPERF3" | sha256sum | cut -c1-16)"
  cat >"$context/Dockerfile.iperf3" <<DOCKERFILE
FROM scratch
COPY rootfs-iperf3/ /
ENV PATH=/bin:/usr/bin
EXPOSE 5201
LABEL orchestra.build-hash="$iperf3_hash" org.opencontainers.image.description="iperf3 for Orchestra's network benchmark"
CMD ["iperf3", "-s"]
DOCKERFILE
fi

# A UDP echo server (busybox has none), compiled static so that it runs FROM scratch.
if [[ " ${targets[*]} " == *" udp-echo "* ]]; then
  command -v gcc >/dev/null || { echo "build-demo-image: gcc is not installed (Debian: apt-get install gcc libc6-dev)" >&2; exit 1; }
  source_c="$(dirname "$0")/images/udp-echo.c"
  cp -a "$rootfs" "$context/rootfs-udp-echo"
  gcc -static -Os -o "$context/rootfs-udp-echo/bin/udp-echo" "$source_c"
  udp_echo_hash="$(cat "$BUSYBOX" "$0" "$source_c" | sha256sum | cut -c1-16)"
  cat >"$context/Dockerfile.udp-echo" <<DOCKERFILE
FROM scratch
COPY rootfs-udp-echo/ /
ENV PATH=/bin
EXPOSE 9000/udp
LABEL orchestra.build-hash="$udp_echo_hash" org.opencontainers.image.description="UDP echo for Orchestra's published-ports tests"
CMD ["udp-echo"]
DOCKERFILE
fi

for target in "${targets[@]}"; do
  image="orchestra/$target:latest"
  wanted="$build_hash"
  [ "$target" != iperf3 ] || wanted="$iperf3_hash"
  [ "$target" != udp-echo ] || wanted="$udp_echo_hash"
  current="$(docker image inspect --format '{{index .Config.Labels "orchestra.build-hash"}}' "$image" 2>/dev/null || true)"
  if [ "$force" = 0 ] && [ "$current" = "$wanted" ]; then
    echo "$image is up to date"
    continue
  fi
  # The legacy builder warns on stderr that it is deprecated: show its output only when the build fails.
  if ! docker build --quiet --file "$context/Dockerfile.$target" --tag "$image" "$context" >"$context/build.log" 2>&1; then
    cat "$context/build.log" >&2
    echo "build-demo-image: building $image failed" >&2
    exit 1
  fi
  echo "built $image"
done
