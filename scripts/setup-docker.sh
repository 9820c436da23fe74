#!/usr/bin/env bash
# Makes a Docker engine and mlx's default base image available, offline. Safe to run again.
#  1. installs Debian's docker.io (and debootstrap) when dockerd is missing (needs root and apt);
#  2. starts dockerd in the background when no engine answers on the socket;
#  3. builds node:<this host's node version>-bookworm-slim when the engine lacks it, with
#     `mlx base-image build` (so mlx must be built first: scripts/install-deps.sh does it).
set -euo pipefail

NODE_VERSION=$(node -p 'process.versions.node')
BASE_IMAGE=${MLX_BASE_IMAGE:-node:${NODE_VERSION}-bookworm-slim}
SOCKET=${DOCKER_HOST:-}
SOCKET=${SOCKET#unix://}
SOCKET=${SOCKET:-/var/run/docker.sock}
log() { echo "== setup-docker: $*" >&2; }

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-docker: dockerd or debootstrap is missing and this is not a root Debian host: install Docker yourself" >&2
    exit 3
  fi
  log "installing docker.io and debootstrap from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
fi

if ! engine_answers; then
  log "starting dockerd (log: /var/log/mlx-dockerd.log)"
  nohup dockerd >/var/log/mlx-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    engine_answers && break
    sleep 1
  done
  engine_answers || { echo "setup-docker: dockerd did not answer on $SOCKET within 60 s; see /var/log/mlx-dockerd.log" >&2; exit 3; }
fi
log "engine $(docker version --format '{{.Server.Version}}') on $SOCKET"

# The base image: built by mlx itself (debootstrap + this host's node, imported under the official tag).
node "$(dirname "$0")/../bin/mlx" base-image build --tag "$BASE_IMAGE"
# ... and, where Debian's python3 is installed, python:<its version>-slim-bookworm for Python runs
# (a second build reuses debootstrap's downloads; a rebuild reuses its root filesystem).
if [ -x /usr/bin/python3 ]; then
  node "$(dirname "$0")/../bin/mlx" base-image build --python
fi
