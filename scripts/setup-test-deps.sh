#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages: redis-server,
# the pinned code generators, the Python and Go client toolchains' packages,
# and the object-storage emulators. One script per concern in .ci/setup.d/,
# run in name order; each is idempotent (seconds when already installed)
# and fails loudly, because a missing dependency must fail the tests,
# never skip them.
set -euo pipefail
cd "$(dirname "$0")/.."
# `npm test` on a fresh clone, before any `npm install`, must still work.
[ -d node_modules/.bin ] || npm install --no-audit --no-fund
for script in .ci/setup.d/*.sh; do
  [ -e "$script" ] || continue
  echo "setup: $(basename "$script")"
  bash "$script"
done
