#!/usr/bin/env bash
# Generated clients: the pinned code generators `npm run generate` runs, and
# everything the Python and Go client suites (test/clients/) and examples
# need, so no test downloads anything. A missing toolchain fails here.
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
  || { echo "python3 >= 3.10 is required for the Python client" >&2; exit 1; }
command -v go >/dev/null || { echo "go is required for the Go client" >&2; exit 1; }

bash scripts/codegen/install-tools.sh

# Python client suite: a venv holding only the pinned test tools and the
# client as a user installs it, so the package's own dependencies are proven.
[ -x .tools/client-python/bin/python ] || python3 -m venv .tools/client-python
.tools/client-python/bin/pip install --quiet --disable-pip-version-check \
  -r test/clients/python/requirements.txt "./gen/python[connect]"
.tools/client-python/bin/python -c 'from switchyard.v1 import inference_pb2_grpc, inference_connect'

# Go client suite and example: fetch modules and compile once (vet builds the
# test packages), so `go test` at test time only links.
for module in gen/go test/clients/go examples/go; do
  (cd "$module" && go mod download && go vet ./...)
done
go version
