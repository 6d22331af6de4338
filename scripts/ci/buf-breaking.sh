#!/usr/bin/env bash
# The contract gate: proto/ must not break compatibly-generated clients.
# Compares against the previous commit on this branch's first-parent line
# (on main: main as it was before this push's merge commit, or before the
# last commit), or against BUF_BREAKING_AGAINST (e.g. '.git#tag=v0.1.0').
# Rules: buf.yaml's `breaking: FILE` (renumbering, retyping or removing a
# field, message, enum value, RPC...). Adding fields is never breaking.
set -euo pipefail
cd "$(dirname "$0")/../.."
against="${BUF_BREAKING_AGAINST:-}"
if [ -z "$against" ]; then
  if ! git rev-parse -q --verify 'HEAD~1^{commit}' >/dev/null; then
    # A shallow clone without history: fetch one more commit if a remote is there.
    git fetch -q --deepen=1 2>/dev/null || true
  fi
  if ! git rev-parse -q --verify 'HEAD~1^{commit}' >/dev/null; then
    echo "buf breaking: no previous commit to compare with (first commit)"
    exit 0
  fi
  against=".git#ref=$(git rev-parse HEAD~1)"
fi
npx --no-install buf breaking --against "$against"
echo "buf breaking: proto/ is compatible with ${against}"
