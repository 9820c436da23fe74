#!/usr/bin/env bash
# Makes Debian's chromium available for the report's browser test (test/e2e/report-browser.test.ts),
# which drives it headless with playwright-core (whose own browser download cannot work offline).
# Safe to run again: does nothing when the browser is already there.
set -euo pipefail

CHROMIUM=${MLX_CHROMIUM:-/usr/bin/chromium}
log() { echo "== setup-browser: $*" >&2; }

if [ -x "$CHROMIUM" ]; then
  log "$CHROMIUM is there ($("$CHROMIUM" --version 2>/dev/null | tail -n 1))"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: $CHROMIUM is missing and this is not a root Debian host: install chromium yourself" >&2
  exit 3
fi
log "installing chromium from Debian"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
"$CHROMIUM" --version >&2
