#!/usr/bin/env bash
# Every test: installs what it needs, builds, then runs unit and integration tests with vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run --silent typecheck
npx vitest run "$@"
