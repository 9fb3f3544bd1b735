#!/usr/bin/env bash
# Start a PostgreSQL server on loopback for the tests (Debian packages), and print its admin URL.
# Idempotent: installs only when missing, starts only when stopped, creates the role only once.
# Usage: export TEST_POSTGRES_URL=$(bash scripts/test-postgres.sh)
set -euo pipefail
PG_USER=knowledge_test
PG_PASSWORD=knowledge_test
log() { echo "$@" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing PostgreSQL from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -q "^$version main$"; then
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done

su postgres -c "psql -q -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\"" | grep -q 1 ||
  su postgres -c "psql -q -p $port -c \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\"" >&2

echo "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$port/postgres"
