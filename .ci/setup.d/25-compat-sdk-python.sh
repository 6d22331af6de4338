#!/usr/bin/env bash
# The official Python openai and anthropic SDKs for the compatible-surface
# suite (test/compat/python, run by test/compat/python-sdks.test.ts), in a
# venv of their own so they never mix with the generated client's.
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
  || { echo "python3 >= 3.10 is required for the Python SDK suite" >&2; exit 1; }
[ -x .tools/sdk-python/bin/python ] || python3 -m venv .tools/sdk-python
.tools/sdk-python/bin/pip install --quiet --disable-pip-version-check -r test/compat/python/requirements.txt
.tools/sdk-python/bin/python -c 'import openai, anthropic'
