#!/usr/bin/env bash
# A real OpenTelemetry Collector (OTLP receiver + file exporter) for the
# trace test (test/observability/otlp-collector.test.ts). Built once from
# the Go module proxy with the collector's builder (ocb) and installed to
# /usr/local/bin, so reruns skip the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
COLLECTOR_VERSION=v0.165.0
BIN=/usr/local/bin/otelcol-switchyard
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ! -x "$BIN" ] || ! "$BIN" components 2>/dev/null | grep -q "otlpreceiver ${COLLECTOR_VERSION}"; then
  command -v go >/dev/null || { echo "go is required to build the OpenTelemetry Collector" >&2; exit 1; }
  tmp="$(mktemp -d)"
  GOBIN="$tmp" go install "go.opentelemetry.io/collector/cmd/builder@${COLLECTOR_VERSION}"
  sed "s#output_path: ./build#output_path: $tmp/build#" .ci/otelcol/manifest.yaml > "$tmp/manifest.yaml"
  "$tmp/builder" --config "$tmp/manifest.yaml"
  $SUDO install -m 0755 "$tmp/build/otelcol-switchyard" "$BIN"
  rm -rf "$tmp"
fi
"$BIN" components | grep otlpreceiver
