#!/usr/bin/env bash
# A real redis-server for router shared state and the Redis cache layer tests.
set -euo pipefail
if ! command -v redis-server >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq redis-server
fi
redis-server --version
