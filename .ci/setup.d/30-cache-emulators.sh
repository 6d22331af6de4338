#!/usr/bin/env bash
# Object-storage emulators for the cache layer tests (test/support/global-emulators.ts):
#   - moto's S3 server (PyPI), in the venv .tools/moto
#   - fake-gcs-server (Go module proxy), installed to /usr/local/bin so it is
#     found without $(go env GOPATH)/bin on PATH
#   - Azurite comes from npm ci (devDependency), nothing to do here.
set -euo pipefail
cd "$(dirname "$0")/../.."
FAKE_GCS_VERSION=v1.56.1
MOTO_VERSION=5.2.1
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

# moto in a venv of its own (PEP 668 systems refuse a global pip install);
# test/support/emulators/moto.ts runs .tools/moto/bin/moto_server.
[ -x .tools/moto/bin/python ] || python3 -m venv .tools/moto
.tools/moto/bin/pip install --quiet --disable-pip-version-check "moto[server]==${MOTO_VERSION}"
.tools/moto/bin/moto_server --help >/dev/null

if [ ! -x /usr/local/bin/fake-gcs-server ]; then
  command -v go >/dev/null || { echo "go is required to install fake-gcs-server" >&2; exit 1; }
  tmp="$(mktemp -d)"
  GOBIN="$tmp" go install "github.com/fsouza/fake-gcs-server@${FAKE_GCS_VERSION}"
  $SUDO install -m 0755 "$tmp/fake-gcs-server" /usr/local/bin/fake-gcs-server
  rm -rf "$tmp"
fi
[ -x /usr/local/bin/fake-gcs-server ] || { echo "fake-gcs-server missing after install" >&2; exit 1; }
echo "moto_server: .tools/moto/bin/moto_server; fake-gcs-server: /usr/local/bin/fake-gcs-server"
