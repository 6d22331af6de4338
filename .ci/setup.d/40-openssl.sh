#!/usr/bin/env bash
# The openssl CLI: test/server/tls.test.ts makes its CA, server and client certificates with it.
set -euo pipefail
if ! command -v openssl >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq openssl
fi
openssl version
