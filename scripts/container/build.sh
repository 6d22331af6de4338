#!/usr/bin/env bash
# Builds the gateway for production in the current directory: the exact
# steps the Dockerfile's build stage RUNs, and that CI runs on a copy of the
# same files (scripts/container/check.sh), so they are exercised even where
# no container daemon exists.
#   1. npm ci           the locked dependencies
#   2. npm run build    TypeScript -> dist/ (dist/src, dist/gen/ts)
#   3. npm prune        drop devDependencies from what ships
set -euo pipefail
npm ci --no-audit --no-fund --ignore-scripts
npm run build
npm prune --omit=dev --no-audit --no-fund
test -f dist/src/main.js && test -f dist/src/healthcheck.js
