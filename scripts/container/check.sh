#!/usr/bin/env bash
# CI's stand-in for `docker build` + `docker run` where no container daemon
# exists: copies exactly what the Dockerfile COPYs into a scratch directory,
# runs the same build script, then starts the result the way the image's
# CMD does (plain node on dist/, config from SWITCHYARD_CONFIG, port from
# PORT) and runs the image's HEALTHCHECK command against it.
set -euo pipefail
cd "$(dirname "$0")/../.."
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# The build context: keep in step with the Dockerfile's COPY lines.
cp -r package.json package-lock.json tsconfig.json tsconfig.build.json src gen scripts "$work/"
(cd "$work" && bash scripts/container/build.sh >"$work/build.log" 2>&1) || { cat "$work/build.log" >&2; exit 1; }
[ ! -e "$work/node_modules/typescript" ] || { echo "devDependencies were not pruned" >&2; exit 1; }
# The image's base is Node 26; here the pinned Node from the registry's platform package stands in for it (README, "Runtime").
export PATH="$work/node_modules/.bin:$PATH"

port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
# A mounted config file, as `docker run -v` gives the container.
cat > "$work/config.yaml" <<'YAML'
model_list:
  - model_name: mock
    provider: mock
    params: { model: mock-1 }
server_settings: { shutdown_grace_ms: 2000 }
YAML
(cd "$work" && SWITCHYARD_CONFIG="$work/config.yaml" PORT="$port" node dist/src/main.js serve >"$work/serve.log" 2>&1) &
server=$!
for _ in $(seq 1 100); do
  if (cd "$work" && PORT="$port" node dist/src/healthcheck.js >/dev/null 2>&1); then
    (cd "$work" && PORT="$port" node dist/src/healthcheck.js switchyard.v1.InferenceService)
    echo "container build check: ok (compiled gateway serving, HEALTHCHECK passes)"
    exit 0
  fi
  sleep 0.2
done
echo "the compiled gateway never became healthy:" >&2
cat "$work/serve.log" >&2
exit 1
