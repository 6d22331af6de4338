#!/usr/bin/env bash
# The client-package tests (test/clients/packages.test.ts) build and install
# the clients offline. This fills .tools/python-wheelhouse with the wheel
# build backend and the LOWEST grpcio/protobuf that gen/python/pyproject.toml
# allows, so a fresh venv installing the wheel from it proves those lower
# bounds. (The npm cache and the Go module cache are filled by npm ci and
# 20-codegen-and-clients.sh.)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .tools/client-python/bin/python ] || { echo "run 20-codegen-and-clients.sh first" >&2; exit 1; }

lowest() { sed -n "s/^ *\"$1>=\([0-9.]*\),<.*/\1/p" gen/python/pyproject.toml; }
build_backend="$(sed -n 's/^requires = \["\(.*\)"\]$/\1/p' gen/python/pyproject.toml)"
grpcio="$(lowest grpcio)"; protobuf="$(lowest protobuf)"
[ -n "$grpcio" ] && [ -n "$protobuf" ] && [ -n "$build_backend" ] || { echo "cannot read the version ranges from gen/python/pyproject.toml" >&2; exit 1; }

npm_version() { node -p "require('./node_modules/$1/package.json').version"; }
npm_packages=("@bufbuild/protobuf@$(npm_version @bufbuild/protobuf)" "@connectrpc/connect@$(npm_version @connectrpc/connect)" "@connectrpc/connect-node@$(npm_version @connectrpc/connect-node)")
stamp="grpcio==${grpcio} protobuf==${protobuf} ${build_backend} ${npm_packages[*]}"
if [ "$(cat .tools/client-packages.stamp 2>/dev/null)" = "$stamp" ]; then
  echo "client packages: up to date (${stamp})"
  exit 0
fi

mkdir -p .tools/python-wheelhouse
.tools/client-python/bin/pip download --quiet --disable-pip-version-check --only-binary=:all: \
  --dest .tools/python-wheelhouse "grpcio==${grpcio}" "protobuf==${protobuf}" "${build_backend}"
echo "python wheelhouse: grpcio ${grpcio}, protobuf ${protobuf}, ${build_backend}"

# The TypeScript package is installed into a scratch project with
# `npm install --offline`: npm ci caches tarballs but not the registry's
# package documents that resolving a version range needs, so cache those of
# the client's dependency and of the transports the test uses (the versions
# the repository's own lockfile holds).
npm cache add --no-audit --no-fund "${npm_packages[@]}" >/dev/null
echo "npm cache: ${npm_packages[*]}"
echo "$stamp" > .tools/client-packages.stamp
