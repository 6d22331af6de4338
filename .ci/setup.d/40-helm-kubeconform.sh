#!/usr/bin/env bash
# Chart validation (test/deploy/helm-chart.test.ts): helm and kubeconform,
# both built from the Go module proxy into /usr/local/bin, and the
# Kubernetes JSON schemas kubeconform validates against. kubeconform
# downloads schemas from the internet by default, which CI cannot reach, so
# they are made here offline: the k8s.io/kubernetes Go module (from the
# module proxy) ships the API's OpenAPI spec (api/openapi-spec/swagger.json),
# and scripts/ci/kubernetes-json-schemas.mjs turns it into kubeconform's
# standalone-strict layout under .tools/kubernetes-json-schema/.
set -euo pipefail
cd "$(dirname "$0")/../.."
HELM_VERSION=v3.19.0
KUBECONFORM_VERSION=v0.7.0
KUBERNETES_VERSION=1.34.4
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
command -v go >/dev/null || { echo "go is required to build helm and kubeconform" >&2; exit 1; }

install_go_binary() { # name module version check-output
  local name="$1" module="$2" version="$3"
  if [ -x "/usr/local/bin/$name" ] && [ "$(cat "/usr/local/lib/switchyard-$name.version" 2>/dev/null)" = "$version" ]; then return; fi
  local tmp; tmp="$(mktemp -d)"
  GOBIN="$tmp" go install "$module@$version"
  $SUDO install -m 0755 "$tmp/$name" "/usr/local/bin/$name"
  echo "$version" | $SUDO tee "/usr/local/lib/switchyard-$name.version" >/dev/null
  rm -rf "$tmp"
}
install_go_binary helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
install_go_binary kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"

schemas=".tools/kubernetes-json-schema/v${KUBERNETES_VERSION}-standalone-strict"
if [ ! -f "$schemas/deployment-apps-v1.json" ]; then
  dir="$(go mod download -json "k8s.io/kubernetes@v${KUBERNETES_VERSION}" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')"
  node scripts/ci/kubernetes-json-schemas.mjs "$dir/api/openapi-spec/swagger.json" "$schemas"
fi
echo "$KUBERNETES_VERSION" > .tools/kubernetes-json-schema/VERSION
helm version --short
kubeconform -v
