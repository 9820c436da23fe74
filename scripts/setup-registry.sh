#!/usr/bin/env bash
# Installs Debian's docker-registry (the Docker distribution registry, v2) for the base-image pull test,
# which starts its own registry on 127.0.0.1 with a temp config and storage. Safe to run again: does
# nothing when /usr/bin/docker-registry exists. The package's own service is stopped and disabled:
# the test never uses it, and it would hold port 5000.
set -euo pipefail
log() { echo "== setup-registry: $*" >&2; }

if command -v docker-registry >/dev/null 2>&1; then
  log "docker-registry is installed ($(command -v docker-registry))"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-registry: docker-registry is missing and this is not a root Debian host: apt-get install docker-registry" >&2
  exit 3
fi
log "installing docker-registry from Debian"
apt-get update -qq
# policy-rc.d 101: the package's service is not started during the install (no systemd in CI containers).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >/dev/null
if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi
log "installed $(command -v docker-registry)"
