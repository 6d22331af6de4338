#!/usr/bin/env bash
# A real Prometheus server: the observability test lets it scrape a running gateway and queries its HTTP API.
set -euo pipefail
if ! command -v prometheus >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # --no-install-recommends: the web UI assets and node exporter are not needed to scrape and query.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus
  # The package starts a system service on :9090; tests run their own instance on a free port.
  $SUDO systemctl stop prometheus 2>/dev/null || true
fi
prometheus --version | head -1
