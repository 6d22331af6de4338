#!/usr/bin/env bash
# Object-storage emulators for the cache layer tests (test/support/global-emulators.ts):
#   - moto's S3 server (PyPI), on PATH as moto_server
#   - fake-gcs-server (Go module proxy), installed to /usr/local/bin so it is
#     found without $(go env GOPATH)/bin on PATH
#   - Azurite comes from npm ci (devDependency), nothing to do here.
set -euo pipefail
FAKE_GCS_VERSION=v1.56.1
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! python3 -c 'import moto.server, flask, flask_cors' 2>/dev/null || ! command -v moto_server >/dev/null; then
  python3 -m pip install --quiet 'moto[server]>=5,<6'
fi
command -v moto_server >/dev/null || { echo "moto_server not on PATH after pip install" >&2; exit 1; }

if [ ! -x /usr/local/bin/fake-gcs-server ]; then
  command -v go >/dev/null || { echo "go is required to install fake-gcs-server" >&2; exit 1; }
  tmp="$(mktemp -d)"
  GOBIN="$tmp" go install "github.com/fsouza/fake-gcs-server@${FAKE_GCS_VERSION}"
  $SUDO install -m 0755 "$tmp/fake-gcs-server" /usr/local/bin/fake-gcs-server
  rm -rf "$tmp"
fi
/usr/local/bin/fake-gcs-server -help >/dev/null 2>&1 || true
echo "moto_server: $(command -v moto_server); fake-gcs-server: /usr/local/bin/fake-gcs-server"
