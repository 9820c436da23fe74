#!/usr/bin/env bash
# Every test: installs what it needs (npm packages, a Docker engine and the offline base images, Debian's
# Python, Slurm and munge, a local registry, Chromium), builds, then runs typecheck, lint and vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

# In CI every part must be there: a setup that fails is a failure. Elsewhere the tests that need it
# skip, loudly.
need() {
  local what=$1
  shift
  if ! "$@"; then
    if [ -n "${CI:-}" ]; then echo "test.sh: CI needs $what and it could not be set up" >&2; exit 3; fi
    echo "test.sh: WARNING: $what could not be set up; the tests that need it will be skipped" >&2
  fi
}
need "Debian's Python (python3, venv, numpy, scikit-learn)" bash scripts/setup-python.sh
need "a Docker engine and the base images" bash scripts/setup-docker.sh
need "Debian's docker-registry" bash scripts/setup-registry.sh
need "Slurm and munge" bash scripts/setup-slurm.sh
need "Chromium" bash scripts/setup-browser.sh

npm run --silent typecheck
npm run --silent lint
npx vitest run "$@"
