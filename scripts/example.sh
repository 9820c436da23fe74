#!/usr/bin/env bash
# The demo, from a fresh clone: sets everything up, then walks the whole path.
#   researcher: mlx capture (the iris example) -> mlx pack -> bundle.tar
#   reviewer:   the image removed, bundle.tar alone in an empty folder -> mlx replay -> the verdict
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/setup-docker.sh
MLX=$PWD/bin/mlx
REVIEW=$(mktemp -d /tmp/mlx-reviewer.XXXXXX)

cd examples/iris
echo "== researcher: mlx capture --config run.yaml" >&2
"$MLX" capture --config run.yaml
echo "== researcher: mlx pack -o $REVIEW/bundle.tar" >&2
IMAGE=$("$MLX" pack -o "$REVIEW/bundle.tar" --json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).imageId')

echo "== reviewer: only bundle.tar and Docker (image $IMAGE removed from the engine)" >&2
docker rmi -f "$IMAGE" >/dev/null
cd "$REVIEW"
"$MLX" replay bundle.tar
