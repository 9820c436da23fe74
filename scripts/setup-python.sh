#!/usr/bin/env bash
# Makes Debian's Python usable for mlx's Python tests and example. Safe to run again; needs root on
# Debian only when something is missing. The tests call /usr/bin/python3 by path: `python3` on PATH
# may be a pyenv shim without numpy.
#   python3 (3.11 on bookworm), python3-venv (venvs made offline), python3-numpy, python3-sklearn
#   (the digits example), python3-pip (installs a local wheel into a venv with no index).
set -euo pipefail
log() { echo "== setup-python: $*" >&2; }

has() { dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for pkg in python3 python3-venv python3-numpy python3-sklearn python3-pip; do
  has "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-python: missing ${missing[*]} and this is not a root Debian host: install them with apt yourself" >&2
    exit 3
  fi
  log "installing ${missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

{ /usr/bin/python3 -c "import numpy, sklearn, venv" && /usr/bin/python3 -m pip --version >/dev/null; } || {
  echo "setup-python: /usr/bin/python3 cannot import numpy, sklearn and venv, or run pip, after the install" >&2
  exit 3
}
log "ready: $(/usr/bin/python3 --version 2>&1), numpy $(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')"
