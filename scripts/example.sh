#!/usr/bin/env bash
# The demo, from a fresh clone: sets everything up, then walks the whole path.
#   researcher: mlx capture (the iris example) -> mlx pack -> bundle.tar
#   reviewer:   the image removed, bundle.tar alone in an empty folder -> mlx replay -> the verdict
#               -> mlx report: the HTML report of the replay
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
# A diverged replay (exit 1) still gets its report; the example exits with the replay's code.
CODE=0
"$MLX" replay bundle.tar --out replay || CODE=$?
if [ -f replay/replay.yaml ]; then
  echo "== reviewer: mlx report replay" >&2
  REPORT=$("$MLX" report replay)
  echo "The reviewer's report (open it in a browser): $REPORT"
fi
exit "$CODE"
