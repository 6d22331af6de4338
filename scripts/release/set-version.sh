#!/usr/bin/env bash
# One version for every client: VERSION at the repository root is the only
# place it is written by hand. `bash scripts/release/set-version.sh 0.2.0`
# writes it there and stamps it into the TypeScript package, the Python
# pyproject, the Go module's Version constant and the Helm chart (test/clients/packages.test.ts
# fails when any of them disagrees with VERSION). Go module versions are git
# tags: tag the release gen/go/v<version> as well.
set -euo pipefail
cd "$(dirname "$0")/../.."
version="${1:-$(cat VERSION)}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] || { echo "not a semantic version: $version" >&2; exit 1; }
echo "$version" > VERSION
sed -i -E "s/^(  \"version\": )\"[^\"]*\"/\1\"${version}\"/" clients/typescript/package.json
sed -i -E "s/^version = \"[^\"]*\"/version = \"${version}\"/" gen/python/pyproject.toml
sed -i -E "s/^version: .*/version: ${version}/; s/^appVersion: .*/appVersion: \"${version}\"/" deploy/helm/switchyard/Chart.yaml
sed -i -E "s/^const Version = \"[^\"]*\"/const Version = \"${version}\"/" gen/go/version.go
grep -q "^## ${version}" CHANGELOG.md || echo "CHANGELOG.md has no \"## ${version}\" section yet: add one" >&2
echo "version ${version}"
