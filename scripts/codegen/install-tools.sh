#!/usr/bin/env bash
# Installs the code generators buf.gen.yaml runs, pinned, into .tools/
# (git-ignored, repo-local): Python ones from PyPI into a venv, Go ones from
# the Go module proxy into .tools/bin. protoc-gen-es and buf come from npm
# (package.json). Idempotent: a stamp of the pins skips work already done.
#
# Changing a pin changes gen/ byte for byte (version headers, gencode checks):
# rerun `npm run generate` and commit gen/ with the new pin.
set -euo pipefail
cd "$(dirname "$0")/../.."

# protoc (libprotoc 35.1) and the grpc_python generator both come inside grpcio-tools.
GRPCIO_TOOLS=1.85.1
GRPCIO=1.85.3
PROTOBUF=7.36.2
PROTOC_GEN_CONNECT_PYTHON=0.9.0
PROTOC_GEN_GO=v1.36.12
PROTOC_GEN_CONNECT_GO=v1.21.1
PROTOC_GEN_GO_GRPC=v1.6.0

TOOLS="$PWD/.tools"
PINS="grpcio-tools==$GRPCIO_TOOLS grpcio==$GRPCIO protobuf==$PROTOBUF protoc-gen-connect-python==$PROTOC_GEN_CONNECT_PYTHON protoc-gen-go@$PROTOC_GEN_GO protoc-gen-connect-go@$PROTOC_GEN_CONNECT_GO protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC"
STAMP="$TOOLS/codegen.stamp"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$PINS" ] && [ -x "$TOOLS/bin/protoc" ]; then
  exit 0
fi

command -v python3 >/dev/null || { echo "install-tools: python3 is required (Python >= 3.10)" >&2; exit 1; }
command -v go >/dev/null || { echo "install-tools: go is required" >&2; exit 1; }

echo "installing code generators into .tools/: $PINS"
mkdir -p "$TOOLS/bin"
[ -x "$TOOLS/python/bin/python" ] || python3 -m venv "$TOOLS/python"
"$TOOLS/python/bin/pip" install --quiet --disable-pip-version-check \
  "grpcio-tools==$GRPCIO_TOOLS" "grpcio==$GRPCIO" "protobuf==$PROTOBUF" \
  "protoc-gen-connect-python==$PROTOC_GEN_CONNECT_PYTHON"

GOBIN="$TOOLS/bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO"
GOBIN="$TOOLS/bin" go install "connectrpc.com/connect/cmd/protoc-gen-connect-go@$PROTOC_GEN_CONNECT_GO"
GOBIN="$TOOLS/bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC"

# buf's protoc_builtin plugins (python, pyi) run this protoc.
cat > "$TOOLS/bin/protoc" <<'WRAPPER'
#!/bin/sh
exec "$(dirname "$0")/../python/bin/python" -m grpc_tools.protoc "$@"
WRAPPER
chmod +x "$TOOLS/bin/protoc"
"$TOOLS/bin/protoc" --version

echo "$PINS" > "$STAMP"
