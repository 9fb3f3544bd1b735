#!/usr/bin/env bash
# axe-core (the accessibility rules engine) for the web chat's accessibility tests, installed from npm into
# .cache/axe inside the project: the tests read node_modules/axe-core/axe.min.js and inject it into the page.
# Idempotent: does nothing when that version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=.cache/axe
SPEC="axe-core@4.10.x"
if [ -f "$PREFIX/node_modules/axe-core/axe.min.js" ] \
   && grep -q '"version": "4\.10\.' "$PREFIX/node_modules/axe-core/package.json"; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq npm >/dev/null
fi
mkdir -p "$PREFIX"
npm install --silent --no-save --no-audit --no-fund --prefix "$PREFIX" "$SPEC"
test -f "$PREFIX/node_modules/axe-core/axe.min.js"
