#!/usr/bin/env bash
# `make run-prod`: the production stack in the foreground. Installs the servers (Debian packages, idempotent),
# starts PostgreSQL, Redis, the action server, the Rasa processes, the staff console and nginx (scripts/prod/ctl.sh),
# restarts any of them that stops, and stops everything on Ctrl-C. Settings: scripts/prod/env.sh.
set -euo pipefail
here=$(dirname "$0")
bash "$here/install.sh"
# shellcheck source=scripts/prod/env.sh
source "$here/env.sh"

stopping=0
shutdown() {
  stopping=1
  bash "$here/ctl.sh" down || true
}
trap shutdown EXIT
trap 'exit 130' INT TERM

bash "$here/ctl.sh" up
listen_port=${PROD_LISTEN##*:}
cat >&2 <<EOF

Production stack up (runtime directory: $PROD_RUN_DIR):
  public (nginx):  http://<host>:$listen_port/webhooks/rest/webhook   LINE: /webhooks/line/webhook   health: GET /
  Rasa processes:  $(for p in $PROD_RASA_PORTS; do printf 'http://127.0.0.1:%s  ' "$p"; done)(loopback; HTTP API with RASA_API_TOKEN)
  action server:   http://127.0.0.1:$PROD_ACTIONS_PORT/webhook
  stores:          PostgreSQL 127.0.0.1:$PROD_PG_PORT (tracker, knowledge, review log), Redis 127.0.0.1:$PROD_REDIS_PORT (locks)
EOF
if [ "$PROD_CONSOLE_PORT" != 0 ]; then
  # CONSOLE_PASSWORD is the first account's (`staff`), created at the console's first start on an empty database;
  # accounts are managed with `python -m console.accounts` (README, "Staff accounts"). No password on the screen.
  echo "  staff console:   http://127.0.0.1:$PROD_CONSOLE_PORT/   first account: staff, password CONSOLE_PASSWORD in the secrets file (unless reset since)" >&2
fi
echo "  secrets: $PROD_SECRETS   logs: $PROD_RUN_DIR/logs/   Ctrl-C stops everything." >&2

# Supervise: whatever stops (a crash, an operator's `ctl.sh stop`) is started again within a few seconds.
while [ $stopping = 0 ]; do
  sleep 5
  bash "$here/ctl.sh" ensure || echo "[prod] a restart failed; retrying" >&2
done
