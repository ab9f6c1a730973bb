#!/usr/bin/env bash
# Builds the web UI and runs its unit tests and its end-to-end test against the real daemon.
# Usage: web/scripts/test.sh [--no-e2e]     env: AGENTMUX_BIN (default ../build/agentmux)
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
npm test
if [ "${1:-}" = "--no-e2e" ]; then exit 0; fi
if [ ! -x /usr/bin/chromium ]; then
    echo "the e2e test needs Debian's Chromium: apt-get install -y chromium" >&2
    exit 1
fi
npm run e2e
