#!/usr/bin/env bash
# Installs mlx's npm packages and the example's, only when missing or older than their lockfile,
# then builds mlx. Safe to run any number of times.
set -euo pipefail
cd "$(dirname "$0")/.."

install_if_stale() { # folder
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "== npm ci in $dir" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

install_if_stale .
install_if_stale examples/iris
echo "== building mlx" >&2
npm run --silent build
