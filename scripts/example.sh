#!/usr/bin/env bash
# The demo, from a fresh clone: sets everything up, captures the iris example as a researcher
# would, then packs it into a bundle a reviewer can replay.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/setup-docker.sh
cd examples/iris
echo "== researcher: mlx capture --config run.yaml" >&2
../../bin/mlx capture --config run.yaml
echo "== researcher: mlx pack -o bundle.tar --force" >&2
../../bin/mlx pack -o bundle.tar --force
