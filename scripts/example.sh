#!/usr/bin/env bash
# The demo: sets everything up, then captures the iris example as a researcher would.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cd examples/iris
echo "== mlx capture --config run.yaml" >&2
../../bin/mlx capture --config run.yaml
echo "== mlx ls" >&2
../../bin/mlx ls --limit 5
