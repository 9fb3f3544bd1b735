#!/usr/bin/env bash
# Install the production stack's servers from Debian packages: PostgreSQL (tracker store, knowledge store, review
# log), Redis (Rasa's lock store) and nginx (the public address). Idempotent: installs only what is missing.
# Nothing is configured or started here: scripts/prod/up.sh runs each server with its own configuration and data
# under the project's runtime directory (.run/prod/ by default), on loopback.
set -euo pipefail
log() { echo "$@" >&2; }

missing=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
id postgres >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  log "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
  exit 1
fi
log "installing from Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
