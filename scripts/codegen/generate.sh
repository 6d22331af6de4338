#!/usr/bin/env bash
# `npm run generate`: install any missing pinned generator, rewrite gen/ from
# proto/ with buf, and refresh the Python client in the client-test venv (if
# .ci/setup.d/20-codegen-and-clients.sh made one) so its tests see the new code.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash scripts/codegen/install-tools.sh
npx --no-install buf generate

if [ -x .tools/client-python/bin/pip ]; then
  .tools/client-python/bin/pip install --quiet --disable-pip-version-check --no-deps --force-reinstall ./gen/python
fi
