#!/usr/bin/env bash
# The Testcontainers example for real, with no Docker engine: builds the image with Podman (a cache hit
# when docker/test-image.sh built it just before with the same settings), serves Podman's
# Docker-compatible API on a socket of its own (`podman system service`), and runs
# tests/testcontainers/node (Testcontainers for Node.js + the AWS SDK for JavaScript v3) against it.
# Run as root from anywhere:
#   tests/testcontainers/run.sh
# Environment: HIL_PODMAN_ROOT, HIL_IMAGE, HIL_IMAGE_BINARY as for docker/test-image.sh (see
# docker/podman-env.sh); give the same values as to that script so the image is reused, not rebuilt.
set -euo pipefail
cd "$(dirname "$0")/../.."
source docker/podman-env.sh
t_all=$(hil_now)

service_pid=""
cleanup() {
  local rc=$?
  # Ryuk (Testcontainers' reaper) is off, so a test that died leaves its container behind: remove it.
  local left
  left=$(podman ps -aq --filter label=org.testcontainers=true 2>/dev/null || true)
  [[ -z $left ]] || podman rm -f -t 0 $left >/dev/null 2>&1 || true
  if [[ -n $service_pid ]]; then
    kill "$service_pid" 2>/dev/null || true
    wait "$service_pid" 2>/dev/null || true
  fi
  hil_podman_cleanup
  exit "$rc"
}
trap cleanup EXIT
hil_podman_setup
hil_build_image
hil_say "image $hil_image: $hil_build_seconds s"

(cd tests/testcontainers/node && { [[ -d node_modules && node_modules/.package-lock.json -nt package-lock.json ]] ||
  npm ci --no-audit --no-fund --loglevel=error; })

# The Docker API, served by Podman with this script's containers.conf and storage (exported above).
t=$(hil_now)
sock=$hil_podman_conf_dir/podman.sock
podman system service --time=0 "unix://$sock" 2>"$hil_podman_conf_dir/service.log" &
service_pid=$!
until curl -fsS --unix-socket "$sock" -o /dev/null http://podman/_ping 2>/dev/null; do
  if ! kill -0 "$service_pid" 2>/dev/null || (($(date +%s) - ${t%.*} > 20)); then
    cat "$hil_podman_conf_dir/service.log" >&2
    echo "podman system service did not answer on $sock" >&2
    exit 1
  fi
  sleep 0.05
done
hil_say "podman system service on $sock in $(hil_since "$t") s"

# Ryuk's image cannot be pulled here (no registry), and the container is removed by the test itself.
# Host networking: a published port would need Podman's bridge, which changes the machine's iptables.
t=$(hil_now)
(cd tests/testcontainers/node &&
  DOCKER_HOST=unix://$sock TESTCONTAINERS_RYUK_DISABLED=true HIL_TC_NETWORK=host HIL_TC_IMAGE=$hil_image \
  node --test)
hil_say "Testcontainers for Node.js passed ($(hil_since "$t") s); whole run $(hil_since "$t_all") s"
